// Prints the golden vectors of docs/spec/state.md as JSON. Regenerate with
//   build/bin/laurel_state_golden_gen > tests/data/golden/state.json
// (state_tree_test.cpp checks the file against the code).
#include <iostream>

#include "tests/unit/ledger/state_golden.h"

int main() {
  std::cout << laurel::golden::ComputeStateGolden().dump(2) << "\n";
  return 0;
}
