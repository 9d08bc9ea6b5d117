// Prints the holder-binding golden vectors of docs/spec/holder.md as JSON. Regenerate with
//   build/bin/laurel_holder_golden_gen > tests/data/golden/holder.json
// then paste the file into docs/spec/holder.md (presentation_test.cpp checks both).
#include <iostream>

#include "tests/unit/types/holder_golden.h"

int main() {
  laurel::crypto::Init();
  std::cout << laurel::golden::ComputeHolderGolden().dump(2) << "\n";
  return 0;
}
