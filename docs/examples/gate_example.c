/* A gate in C over laurel_gate.h: decides on each card given on the command line (LC1:...
 * text, or a file holding it) from a bundle directory made by `laurel gate sync`.
 *
 *   gate_example BUNDLE_DIR [--max-offline SECONDS] [--fail-closed] [--gate-id G]
 *                [--require-binding-model-worker] [--presentation LP1:...] CARD...
 *
 * Holder binding (docs/gate.md "Holder binding"): --presentation is the phone's code shown with
 * the next card (laurel_gate_verify_presented), checked for gate --gate-id at the current slot.
 * Prints one line per card, "VALID <credential id>" or "REFUSED <REASON>: <message>", and exits
 * 0 when every card is valid, 1 when one is refused, 2 when the bundle cannot be used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "laurel_gate.h"

static const char* card_text(const char* arg, char* buf, size_t size) {
  FILE* f;
  size_t n;
  if (strncmp(arg, "LC1:", 4) == 0) return arg;
  f = fopen(arg, "r");
  if (f == NULL) return arg; /* decided as MALFORMED */
  n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

int main(int argc, char** argv) {
  char err[512];
  char buf[4096];
  uint64_t window = 24 * 3600;
  laurel_gate_fail_mode mode = LAUREL_GATE_FAIL_OPEN;
  laurel_gate* gate;
  laurel_gate_holder_policy policy;
  const char* presentation = NULL;
  int i, refused = 0;
  memset(&policy, 0, sizeof policy);
  policy.slot_skew = 1;
  if (argc < 3) {
    fprintf(stderr, "usage: %s BUNDLE_DIR [--max-offline S] [--fail-closed] CARD...\n", argv[0]);
    return 2;
  }
  gate = laurel_gate_open(argv[1], NULL, err, sizeof err);
  if (gate == NULL) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  printf("bundle: %zu credentials in %zu issuers\n", laurel_gate_credentials(gate),
         laurel_gate_issuers(gate));
  for (i = 2; i < argc; ++i) {
    laurel_gate_result r;
    if (strcmp(argv[i], "--max-offline") == 0 && i + 1 < argc) {
      window = strtoull(argv[++i], NULL, 10);
      continue;
    }
    if (strcmp(argv[i], "--fail-closed") == 0) {
      mode = LAUREL_GATE_FAIL_CLOSED;
      continue;
    }
    if (strcmp(argv[i], "--gate-id") == 0 && i + 1 < argc) {
      policy.gate_id = argv[++i];
      continue;
    }
    if (strcmp(argv[i], "--require-binding-model-worker") == 0) {
      policy.require_binding |= LAUREL_GATE_BIND_MODEL_WORKER;
      continue;
    }
    if (strcmp(argv[i], "--presentation") == 0 && i + 1 < argc) {
      presentation = argv[++i];
      continue;
    }
    laurel_gate_verify_presented(gate, card_text(argv[i], buf, sizeof buf), presentation, &policy,
                                 0, window, mode, &r);
    presentation = NULL;
    if (r.valid) {
      printf("VALID %s%s\n", r.credential_id, r.stale ? " (BUNDLE_STALE, fails open)" : "");
    } else {
      printf("REFUSED %s: %s\n", r.reason, r.message);
      refused = 1;
    }
  }
  laurel_gate_close(gate);
  return refused;
}
