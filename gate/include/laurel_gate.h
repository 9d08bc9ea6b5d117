/* laurel_gate.h - the offline gate for gate vendors, callable from C (C99) and C++.
 *
 * A gate keeps a bundle directory made by `laurel gate sync` (bundle.pb.gz and genesis.json,
 * docs/gate.md "Offline"). laurel_gate_open checks the bundle against the genesis file (the
 * state certificate, its epoch changes, every record: docs/spec/state.md section 13) and
 * loads it; laurel_gate_verify decides on a card with no network, with the decision code of
 * the laurel node itself: the same reasons as `POST /v1/verify`, plus "BUNDLE_STALE" when the
 * bundle is older than the allowed window.
 *
 * Link: liblaurel_gate_c.a and the libraries it names (CMake target laurel_gate_c); the
 * example is docs/examples/gate_example.c.
 *
 * Thread safety: a laurel_gate is read-only once open; laurel_gate_verify may be called on any
 * number of threads at once. Strings are UTF-8.
 */
#ifndef LAUREL_GATE_H
#define LAUREL_GATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct laurel_gate laurel_gate;

/* What a gate does when the bundle is older than the window. */
typedef enum {
  LAUREL_GATE_FAIL_OPEN = 0,   /* decide on the stale bundle, mark the answer stale */
  LAUREL_GATE_FAIL_CLOSED = 1  /* refuse every card: reason "BUNDLE_STALE" */
} laurel_gate_fail_mode;

typedef struct {
  int valid;                 /* 1: let through */
  char reason[32];           /* "VALID", "REVOKED", ..., "BUNDLE_STALE" */
  char message[512];         /* human detail (English), NUL-terminated, cut if longer */
  int stale;                 /* 1: the bundle is older than the window */
  char credential_id[128];   /* the card's credential id when its signature verified, else "" */
  char holder_name[192];     /* shown only when the signature verified and the text is safe */
  uint64_t bundle_height;
  uint64_t bundle_time_ms;
  char holder[16];           /* "BOUND" / "UNBOUND" once the signature verified, else "" */
} laurel_gate_result;

/* Card types for laurel_gate_holder_policy.require_binding (a bit mask). */
#define LAUREL_GATE_BIND_MEMBER 1u
#define LAUREL_GATE_BIND_MODEL_WORKER 2u

/* Holder binding (docs/gate.md "Holder binding"): a card may carry its holder's device key;
 * the device signs a presentation ("LP1:...") for this gate id and the gate's current nonce
 * or the current 30-second slot. */
typedef struct {
  const char* gate_id;           /* this gate's id (a presentation must name it); NULL: none */
  const uint8_t* nonce;          /* the gate's current challenge, or NULL */
  size_t nonce_len;              /* 8..32 when nonce is set */
  uint32_t slot_skew;            /* 30-second slots accepted either side of now (1 suggested) */
  uint32_t require_binding;      /* LAUREL_GATE_BIND_* types refused when not bound */
} laurel_gate_holder_policy;

/* Opens the bundle in `dir` (genesis: `genesis_path`, or NULL for dir/genesis.json). Returns
 * NULL on failure with a NUL-terminated reason in `err` (of `err_size` bytes; may be NULL). */
laurel_gate* laurel_gate_open(const char* dir, const char* genesis_path, char* err,
                              size_t err_size);

/* Decides on `card_text` ("LC1:...") at `now_unix_s` (0: the system clock), with a window of
 * `max_offline_s` seconds. Returns 0 when `out` was filled, -1 on a NULL argument. */
int laurel_gate_verify(const laurel_gate* gate, const char* card_text, uint64_t now_unix_s,
                       uint64_t max_offline_s, laurel_gate_fail_mode mode,
                       laurel_gate_result* out);

/* As laurel_gate_verify, with the holder's presentation (`presentation_text`, "LP1:...", or
 * NULL when none was shown) checked under `policy` (NULL: no gate id, skew 1, no type requires
 * binding). Extra reasons: "PRESENTATION_MISSING", "PRESENTATION_EXPIRED",
 * "BAD_HOLDER_SIGNATURE", "BINDING_REQUIRED". laurel_gate_verify is this call with NULL, NULL:
 * a bound card is then refused PRESENTATION_MISSING. Returns 0, or -1 on a NULL gate, card or
 * out, or a nonce_len outside 8..32. */
int laurel_gate_verify_presented(const laurel_gate* gate, const char* card_text,
                                 const char* presentation_text,
                                 const laurel_gate_holder_policy* policy, uint64_t now_unix_s,
                                 uint64_t max_offline_s, laurel_gate_fail_mode mode,
                                 laurel_gate_result* out);

/* Credentials and issuers in the bundle. */
size_t laurel_gate_credentials(const laurel_gate* gate);
size_t laurel_gate_issuers(const laurel_gate* gate);

void laurel_gate_close(laurel_gate* gate);

#ifdef __cplusplus
}
#endif

#endif /* LAUREL_GATE_H */
