// Mutation switches for the simulator's canaries. Production code passes the default (all
// false); the struct is compiled in always, so the canaries test the code that ships, with one
// rule deliberately broken at run time.
#pragma once

namespace laurel::consensus {

struct TestHooks {
  // (a) Commit the parent of any certified block, without the consecutive-round check.
  bool break_commit_consecutive = false;
  // (b) Vote without checking round > last_voted_round (nor re-sending the stored vote).
  bool break_last_voted_round = false;
  // (c) Let votes and timeouts leave before the safety record is synced: the record is written
  //     unsynced and only synced when the next input arrives.
  bool break_persist_before_send = false;
  // (d) Drop the TC condition of the voting rule (B.qc.round >= TC.max_hqc_round): any TC(r-1)
  //     justifies a block, whatever QC it extends.
  bool break_tc_condition = false;

  bool any() const {
    return break_commit_consecutive || break_last_voted_round || break_persist_before_send ||
           break_tc_condition;
  }
};

}  // namespace laurel::consensus
