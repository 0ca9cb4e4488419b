/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SSH-2 key exchange (RFC 4253 sections 7-8, RFC 4419, RFC 5656, RFC 8268,
 * RFC 8731, RFC 8308, OpenSSH's strict kex and the post-quantum hybrids
 * sntrup761x25519-sha512 and mlkem768x25519-sha256) on top of a struct
 * tport, and a small transport-level message dispatcher (tctl_*).
 *
 * The kex does no I/O: it queues packets with tport_send() and takes the
 * peer's kex messages through kex_handle_packet().  Keys are handed to the
 * transport with tport_set_keys_out()/tport_set_keys_in() at NEWKEYS.
 */
#ifndef QSSH_CONTROL_KEX_H
#define QSSH_CONTROL_KEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "dataplane/transport.h"

struct key;

enum kex_role {
	KEX_ROLE_CLIENT = 0,
	KEX_ROLE_SERVER,
};

/* The ten name-lists of KEXINIT (RFC 4253 7.1), in wire order. */
enum kex_proposal {
	KEX_PROP_KEX = 0,
	KEX_PROP_HOSTKEY,
	KEX_PROP_ENC_C2S,
	KEX_PROP_ENC_S2C,
	KEX_PROP_MAC_C2S,
	KEX_PROP_MAC_S2C,
	KEX_PROP_COMP_C2S,
	KEX_PROP_COMP_S2C,
	KEX_PROP_LANG_C2S,
	KEX_PROP_LANG_S2C,
	KEX_PROP_MAX,
};

/* Method-specific message numbers. */
enum {
	SSH_MSG_KEXDH_INIT = 30,
	SSH_MSG_KEXDH_REPLY = 31,
	SSH_MSG_KEX_ECDH_INIT = 30,
	SSH_MSG_KEX_ECDH_REPLY = 31,
	SSH_MSG_KEX_DH_GEX_GROUP = 31,
	SSH_MSG_KEX_DH_GEX_INIT = 32,
	SSH_MSG_KEX_DH_GEX_REPLY = 33,
	SSH_MSG_KEX_DH_GEX_REQUEST = 34,
};

/* Pseudo-algorithms carried in the kex name-list. */
#define KEX_EXT_INFO_C "ext-info-c"
#define KEX_EXT_INFO_S "ext-info-s"
#define KEX_STRICT_C "kex-strict-c-v00@openssh.com"
#define KEX_STRICT_S "kex-strict-s-v00@openssh.com"

/* RFC 4419 group-exchange bounds the client asks for. */
#define KEX_DH_GEX_MIN 2048
#define KEX_DH_GEX_MAX 8192

/* Default moduli(5) file for the group exchange server. */
#define KEX_MODULI_PATH "/etc/ssh/moduli"

/*
 * Client side: decide whether the server's host key is acceptable
 * (known_hosts).  Called after the signature over H verified, before NEWKEYS
 * is sent.  Return 0 to accept or a negative QSSH_ERR_* to abort.
 */
typedef int (*kex_verify_host_key_fn)(
    const struct key *host_key, const char *alg, void *ctx);

/*
 * Fill out[0..len) and return 0, or a negative QSSH_ERR_*.  The draws of one
 * exchange are, in order: the 16-byte KEXINIT cookie; then for the hybrid
 * methods the client's 32-byte X25519 private value followed by its KEM key
 * generation (ML-KEM-768: one 64-byte d || z; sntrup761: the draws listed in
 * sntrup761.h), and the server's 32-byte X25519 private value followed by
 * its encapsulation (ML-KEM-768: one 32-byte m; sntrup761: see sntrup761.h);
 * for curve25519 the 32-byte private value.  Other methods use the system
 * generator for their ephemeral values.
 */
typedef int (*kex_random_fn)(void *ctx, uint8_t *out, size_t len);

/*
 * Server: sign the exchange hash data[0..len) with the private half of the
 * host key pub for algorithm alg, appending the SSH signature blob (string
 * alg, string signature) to sig.  0 or a negative QSSH_ERR_*.  Lets the
 * host keys live in another process (the privilege separation monitor).
 */
typedef int (*kex_sign_fn)(void *ctx, const struct key *pub, const char *alg,
    const uint8_t *data, size_t len, struct qssh_buf *sig);

struct kex_config {
	/*
	 * Algorithm lists in OpenSSH syntax: NULL or "" = default, a plain
	 * list replaces the default, "+a,b" appends, "-a,b" removes (wildcards
	 * '*' and '?' allowed), "^a,b" puts first.
	 */
	const char *kex_algs;
	const char *hostkey_algs;
	const char *ciphers;
	const char *macs;
	const char *compression;
	/* Server: private host keys (borrowed, must outlive the kex). */
	struct key *const *host_keys;
	size_t num_host_keys;
	/* Server: moduli(5) file for diffie-hellman-group-exchange-*. */
	const char *moduli_path; /* NULL = KEX_MODULI_PATH */
	/* Server: value of "server-sig-algs" in EXT_INFO (NULL = default). */
	const char *server_sig_algs;
	/* Client: host key check; NULL accepts any key that signed H. */
	kex_verify_host_key_fn verify_host_key;
	void *verify_ctx;
	/* Don't offer ext-info / strict kex (tests of the non-strict path). */
	bool no_ext_info;
	bool no_strict;
	/*
	 * Client: kex_pq_warning_due() reports a kex that is not post-quantum
	 * (OpenSSH's WarnWeakCrypto); the program prints KEX_PQ_WARNING.
	 */
	bool warn_weak_kex;
	/*
	 * Source of the exchange's own randomness (KEXINIT cookies, X25519
	 * private values, KEM seeds); NULL = the system generator.  For tests
	 * and benchmarks that need reproducible exchanges: see kex_random_fn.
	 */
	kex_random_fn random;
	void *random_ctx;
	/*
	 * Server: when set, host key signatures are made through sign and
	 * host_keys may hold public keys only.
	 */
	kex_sign_fn sign;
	void *sign_ctx;
	/*
	 * Server: moduli(5) text already read (for a process that cannot
	 * open files); when not NULL it replaces moduli_path.  Borrowed.
	 */
	const char *moduli_text;
	size_t moduli_text_len;
};

/* What the last kex agreed on.  Strings are owned by the kex. */
struct kex_result {
	const char *kex;
	const char *hostkey_alg;
	const char *enc[2]; /* [0] client->server, [1] server->client */
	const char *mac[2]; /* NULL for AEAD ciphers */
	const char *comp[2];
};

/* ---- algorithm lists ---- */

/* Defaults and everything implemented (comma-separated, static). */
const char *kex_default_list(enum kex_proposal which, enum kex_role role);
const char *kex_supported_list(enum kex_proposal which);
/* Whether name is a pseudo-algorithm (ext-info, strict kex). */
bool kex_is_pseudo_alg(const char *name);
/*
 * Build a list from a default, the set of supported names and an OpenSSH
 * style spec (see struct kex_config).  Unknown names in spec give
 * QSSH_ERR_INVALID_ARGUMENT (or QSSH_ERR_ALG_UNSUPPORTED for names that are
 * syntactically fine but not implemented); an empty result gives
 * QSSH_ERR_NO_MATCH.  *out is a heap string.
 */
int kex_assemble_list(
    const char *def, const char *supported, const char *spec, char **out);

/* ---- KEXINIT messages ---- */

struct kex_proposal_set {
	uint8_t cookie[16];
	char *names[KEX_PROP_MAX];
	bool first_kex_follows;
	uint32_t reserved;
};

/* Parse a KEXINIT payload (after the type byte); strict name-list checks. */
int kex_proposal_parse(struct qssh_view payload, struct kex_proposal_set *p);
/* Append a KEXINIT payload (without the type byte). */
int kex_proposal_build(const struct kex_proposal_set *p, struct qssh_buf *b);
void kex_proposal_cleanup(struct kex_proposal_set *p);

struct kex_choice {
	char *names[KEX_PROP_MAX]; /* lang entries stay NULL */
	bool peer_guess_wrong; /* skip the peer's next kex packet */
	bool strict; /* both offered strict kex */
	bool peer_ext_info; /* client offered ext-info-c */
	bool server_ext_info; /* server offered ext-info-s */
};

/*
 * Negotiate (RFC 4253 7.1).  first_kex: whether the pseudo-algorithms of the
 * first KEXINIT count.  QSSH_ERR_NO_MATCH on failure, and if detail is not
 * NULL it gets a heap string like "no matching cipher found. Their offer:
 * ...", the offer being the peer's list.
 */
int kex_negotiate(const struct kex_proposal_set *client,
    const struct kex_proposal_set *server, enum kex_role our_role,
    bool first_kex, struct kex_choice *choice, char **detail);
void kex_choice_cleanup(struct kex_choice *c);

/* ---- key exchange state machine ---- */

struct kex;

/*
 * A kex bound to t (borrowed).  *err: QSSH_ERR_INVALID_ARGUMENT for an
 * unknown algorithm name in cfg, QSSH_ERR_NO_MATCH for an empty list,
 * QSSH_ERR_KEY_NOT_FOUND for a server without a usable host key.
 */
struct kex *kex_new(struct tport *t, enum kex_role role,
    const struct kex_config *cfg, int *err);
void kex_free(struct kex *kex); /* wipes; NULL is a no-op */
/* Optional: peer address for "Unable to negotiate with A port P: ..." */
void kex_set_peer_name(struct kex *kex, const char *addr, int port);

/* Send our KEXINIT (starting a kex or rekey); no-op if already sent. */
int kex_start(struct kex *kex);
/*
 * One packet of type 20, 21 or 30..49.  A KEXINIT while idle starts a
 * rekey.  Errors are fatal for the connection.
 */
int kex_handle_packet(struct kex *kex, uint8_t type, struct qssh_view payload);

/* A kex is between KEXINIT and the second NEWKEYS. */
bool kex_in_progress(const struct kex *kex);
/* Number of completed key exchanges. */
unsigned kex_count(const struct kex *kex);
/* Strict kex was negotiated in the first kex. */
bool kex_is_strict(const struct kex *kex);
/* Which side this kex speaks for. */
enum kex_role kex_get_role(const struct kex *kex);
/* The first KEXINIT seen from the peer has arrived. */
bool kex_peer_kexinit_seen(const struct kex *kex);
/* Negotiated algorithms of the current or last kex (NULL before). */
const struct kex_result *kex_get_result(const struct kex *kex);
/* session_id (the first H); QSSH_ERR_INVALID_ARGUMENT before the first. */
int kex_session_id(const struct kex *kex, const uint8_t **p, size_t *len);
/* Client: the server's host key (valid after the kex reply). */
const struct key *kex_server_host_key(const struct kex *kex);
/* Why negotiation failed ("no matching ... Their offer: ..."), or NULL. */
const char *kex_failure_detail(const struct kex *kex);
/* Client: the peer offered ext-info-s; server: the client offered -c. */
bool kex_peer_wants_ext_info(const struct kex *kex);

/* ---- post-quantum key exchange ---- */

/*
 * OpenSSH's warning for a connection without a post-quantum kex, three
 * lines, each ending in a newline.
 */
#define KEX_PQ_WARNING                                                       \
	"** WARNING: connection is not using a post-quantum key exchange "   \
	"algorithm.\n"                                                       \
	"** This session may be vulnerable to \"store now, decrypt later\" " \
	"attacks.\n"                                                         \
	"** The server may need to be upgraded. See "                        \
	"https://openssh.com/pq.html\n"

/* Whether a kex method name is a post-quantum (hybrid) method. */
bool kex_alg_is_pq(const char *name);
/* The last completed (or current) kex used a post-quantum method. */
bool kex_result_is_pq(const struct kex *kex);
/*
 * Client with warn_weak_kex: a kex has completed and the method of the last
 * one is not post-quantum, so the program should print KEX_PQ_WARNING.
 */
bool kex_pq_warning_due(const struct kex *kex);

/* ---- key derivation (RFC 4253 7.2) ---- */

/*
 * out = HASH(K || H || letter || session_id) extended with
 * HASH(K || H || K1 || ... ) up to need bytes.  k_mpint is K already
 * encoded as an mpint (with its length field), or as a string for the
 * hybrid post-quantum methods.
 */
int kex_derive_key(const char *hash_name, const uint8_t *k_mpint, size_t k_len,
    const uint8_t *h, size_t h_len, char letter, const uint8_t *session_id,
    size_t sid_len, uint8_t *out, size_t need);

/* ---- primitives (exposed for tests) ---- */

/* X25519 (RFC 7748): 32-byte public and private values. */
int kex_x25519_keypair(uint8_t priv[32], uint8_t pub[32]);
/* Shared secret; QSSH_ERR_KEY_INVALID for an all-zero result. */
int kex_x25519_shared(
    const uint8_t priv[32], const uint8_t peer[32], uint8_t out[32]);

/* ECDH on NIST curves; nid_bits is 256, 384 or 521. */
struct kex_ecdh;
int kex_ecdh_new(unsigned curve_bits, struct kex_ecdh **out);
/* From a big-endian private scalar (tests). */
int kex_ecdh_from_private(
    unsigned curve_bits, const uint8_t *d, size_t dlen, struct kex_ecdh **out);
void kex_ecdh_free(struct kex_ecdh *e);
/* Our public point, uncompressed (0x04 || X || Y). */
int kex_ecdh_public(const struct kex_ecdh *e, struct qssh_buf *out);
/*
 * Shared x-coordinate (field-size bytes) from the peer's uncompressed point;
 * QSSH_ERR_KEY_INVALID for points not on the curve or not uncompressed.
 */
int kex_ecdh_shared(const struct kex_ecdh *e, const uint8_t *peer,
    size_t peer_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* ---- moduli(5) ---- */

struct kex_dh_group {
	uint8_t *p; /* big-endian prime */
	size_t p_len;
	uint32_t g;
	unsigned bits;
};

/*
 * Choose a group for a GEX request from a moduli file: among the groups whose
 * size is within [min, max], the smallest size >= want (else the largest
 * below it), a random one among those of that size.  A missing file or no
 * fitting group falls back to the built-in RFC 3526 groups.
 */
int kex_moduli_choose(const char *path, uint32_t min, uint32_t want,
    uint32_t max, struct kex_dh_group *out);
/*
 * The same choice from moduli(5) text in memory; name is used in log lines
 * only.
 */
int kex_moduli_choose_text(const char *text, size_t text_len, const char *name,
    uint32_t min, uint32_t want, uint32_t max, struct kex_dh_group *out);
/* Parse one moduli line; QSSH_ERR_INVALID_FORMAT if it's not a usable group,
 * QSSH_ERR_NOT_FOUND for comments and blank lines. */
int kex_moduli_parse_line(const char *line, struct kex_dh_group *out);
void kex_dh_group_cleanup(struct kex_dh_group *g);

/* ---- transport-level dispatcher ---- */

struct tctl;

/* Owns neither t nor kex. */
struct tctl *tctl_new(struct tport *t, struct kex *kex);
void tctl_free(struct tctl *c);
/* Peer address for log lines ("Received disconnect from A port P:..."). */
void tctl_set_peer_name(struct tctl *c, const char *addr, int port);

/*
 * Read packets from the transport and handle transport messages (DISCONNECT,
 * IGNORE, DEBUG, UNIMPLEMENTED, PING, KEXINIT and kex messages, EXT_INFO,
 * unknown numbers).  Returns 0 with the next packet for the caller,
 * QSSH_ERR_AGAIN when more input is needed, QSSH_ERR_DISCONNECTED when the
 * peer disconnected, or another fatal error.  The view is valid until the
 * next call on t.  A rekey is started when tport_rekey_needed().
 */
int tctl_next_packet(struct tctl *c, uint8_t *type, struct qssh_view *payload);
/* Handle one packet; *consumed false means it is for the caller. */
int tctl_handle_packet(
    struct tctl *c, uint8_t type, struct qssh_view payload, bool *consumed);
/* Queue DISCONNECT with a reason chosen from a QSSH_ERR_* code. */
int tctl_disconnect_err(struct tctl *c, int err);
/*
 * End the connection after a fatal error from tport_read_version(),
 * tctl_next_packet(), the kex or the socket (QSSH_ERR_CONN_CLOSED for EOF):
 * logs exactly one line at INFO in OpenSSH's wording and queues
 * SSH_MSG_DISCONNECT with the matching reason when the connection can still
 * carry it.  The lines are
 *   "Connection closed by A port P"                    (EOF, nothing sent)
 *   "banner exchange: Connection from A port P: ERR"   (bad identification)
 *   "Disconnecting A port P: strict KEX violation: ..." (strict kex)
 *   "ssh_dispatch_run_fatal: Connection from A port P: ERR" (all else)
 * ("to" instead of "from" on a client, no address if none was set), and no
 * line for a peer's DISCONNECT (already logged as "Received disconnect") or
 * a failed negotiation (already logged as "Unable to negotiate").  Returns
 * the reason code sent, or 0 when no DISCONNECT was queued.  The caller
 * flushes the output and closes.
 */
uint32_t tctl_fatal(struct tctl *c, int err);
/* Start a rekey now (no-op during a kex). */
int tctl_rekey(struct tctl *c);
/* SERVICE_REQUEST / SERVICE_ACCEPT. */
int tctl_send_service_request(struct tctl *c, const char *service);
int tctl_send_service_accept(struct tctl *c, const char *service);
/* Parse the service name of SERVICE_REQUEST/ACCEPT into a heap string. */
int tctl_parse_service(struct qssh_view payload, char **service);
/* Client: server-sig-algs from the server's EXT_INFO (NULL if none). */
const char *tctl_server_sig_algs(const struct tctl *c);
bool tctl_ext_info_received(const struct tctl *c);
/* Peer's disconnect message, after QSSH_ERR_DISCONNECTED. */
const char *tctl_disconnect_message(const struct tctl *c);
uint32_t tctl_disconnect_code(const struct tctl *c);

#endif
