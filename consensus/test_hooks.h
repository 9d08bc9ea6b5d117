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
  // (e) Vote without raising one_chain_round to the block's QC round: the vote no longer locks
  //     the QC it extends, so a later timeout may report a lower QC.
  bool break_observe_qc_on_vote = false;
  // (f) Sign a timeout without raising last_voted_round: the node may still vote in the round
  //     it timed out in.
  bool break_timeout_last_voted_round = false;
  // (g) Sign a timeout whatever its hqc: drop the check hqc.round >= one_chain_round.
  bool break_timeout_one_chain_round = false;

  // (h) Check a block's proposer against the leader of this node's current round instead of
  //     the block's round: the election reads node-local state, and a node that is behind or
  //     ahead (fetching blocks, a late proposal) disagrees with the others on who led.
  bool break_leader_determinism = false;

  bool any() const {
    return break_commit_consecutive || break_last_voted_round || break_persist_before_send ||
           break_tc_condition || break_observe_qc_on_vote || break_timeout_last_voted_round ||
           break_timeout_one_chain_round || break_leader_determinism;
  }
};

}  // namespace laurel::consensus
