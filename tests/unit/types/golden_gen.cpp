// Prints the golden vectors of docs/spec/signing.md as JSON. Regenerate with
//   build-cli/bin/laurel_golden_gen > tests/data/golden/signing.json
// then paste the file into docs/spec/signing.md (golden_test.cpp checks both).
#include <iostream>

#include "tests/unit/types/golden_inputs.h"

int main() {
  std::cout << laurel::golden::ComputeGolden().dump(2) << "\n";
  return 0;
}
