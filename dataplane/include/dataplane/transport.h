/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SSH-2 binary packet protocol (RFC 4253 sections 4.2 and 6) as a core
 * that does no I/O: the caller feeds bytes read from the peer with
 * tport_input(), takes decrypted packets with tport_read_packet(), queues
 * packets with tport_send(), and writes what tport_output() shows.
 *
 * It owns: the identification-string exchange, framing, random padding,
 * sequence numbers, MAC/ETM/AEAD through crypto-offload, zlib and
 * zlib@openssh.com compression, rekey accounting (RFC 4344 block limits,
 * RekeyLimit bytes and seconds) and OpenSSH's strict kex sequence-number
 * reset.  Deciding what a message means is the control plane's job.
 */
#ifndef QSSH_DATAPLANE_TRANSPORT_H
#define QSSH_DATAPLANE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "crypto-offload/cryp.h"

/* Largest packet_length accepted or sent (OpenSSH's limit). */
#define TPORT_PACKET_MAX (256 * 1024)
/* Largest identification line including CR LF (RFC 4253 4.2). */
#define TPORT_VERSION_MAX 255
/* Lines the client accepts before the server's identification. */
#define TPORT_BANNER_LINES_MAX 1024
/* Longest such other line, including its line end. */
#define TPORT_BANNER_LINE_MAX 8192

/* SSH message numbers used by the transport (RFC 4250 4.1). */
enum {
	SSH_MSG_DISCONNECT = 1,
	SSH_MSG_IGNORE = 2,
	SSH_MSG_UNIMPLEMENTED = 3,
	SSH_MSG_DEBUG = 4,
	SSH_MSG_SERVICE_REQUEST = 5,
	SSH_MSG_SERVICE_ACCEPT = 6,
	SSH_MSG_EXT_INFO = 7,
	SSH_MSG_NEWCOMPRESS = 8,
	SSH_MSG_KEXINIT = 20,
	SSH_MSG_NEWKEYS = 21,
	SSH_MSG_KEX_FIRST = 30, /* 30..49: method specific */
	SSH_MSG_KEX_LAST = 49,
	SSH_MSG_USERAUTH_REQUEST = 50,
	SSH_MSG_USERAUTH_FAILURE = 51,
	SSH_MSG_USERAUTH_SUCCESS = 52,
	SSH_MSG_USERAUTH_BANNER = 53,
	SSH_MSG_GLOBAL_REQUEST = 80,
	SSH_MSG_REQUEST_SUCCESS = 81,
	SSH_MSG_REQUEST_FAILURE = 82,
	SSH_MSG_CHANNEL_OPEN = 90,
	SSH_MSG_CHANNEL_OPEN_CONFIRMATION = 91,
	SSH_MSG_CHANNEL_OPEN_FAILURE = 92,
	SSH_MSG_CHANNEL_WINDOW_ADJUST = 93,
	SSH_MSG_CHANNEL_DATA = 94,
	SSH_MSG_CHANNEL_EXTENDED_DATA = 95,
	SSH_MSG_CHANNEL_EOF = 96,
	SSH_MSG_CHANNEL_CLOSE = 97,
	SSH_MSG_CHANNEL_REQUEST = 98,
	SSH_MSG_CHANNEL_SUCCESS = 99,
	SSH_MSG_CHANNEL_FAILURE = 100,
	SSH_MSG_PING = 192, /* ping@openssh.com (PROTOCOL 1.9) */
	SSH_MSG_PONG = 193,
};

/* Disconnect reason codes (RFC 4250 4.2.2). */
enum {
	SSH_DISCONNECT_HOST_NOT_ALLOWED_TO_CONNECT = 1,
	SSH_DISCONNECT_PROTOCOL_ERROR = 2,
	SSH_DISCONNECT_KEY_EXCHANGE_FAILED = 3,
	SSH_DISCONNECT_RESERVED = 4,
	SSH_DISCONNECT_MAC_ERROR = 5,
	SSH_DISCONNECT_COMPRESSION_ERROR = 6,
	SSH_DISCONNECT_SERVICE_NOT_AVAILABLE = 7,
	SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED = 8,
	SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE = 9,
	SSH_DISCONNECT_CONNECTION_LOST = 10,
	SSH_DISCONNECT_BY_APPLICATION = 11,
	SSH_DISCONNECT_TOO_MANY_CONNECTIONS = 12,
	SSH_DISCONNECT_AUTH_CANCELLED_BY_USER = 13,
	SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE = 14,
	SSH_DISCONNECT_ILLEGAL_USER_NAME = 15,
};

enum tport_comp {
	TPORT_COMP_NONE = 0,
	TPORT_COMP_ZLIB, /* "zlib": from NEWKEYS on */
	TPORT_COMP_ZLIB_DELAYED, /* "zlib@openssh.com": after USERAUTH_SUCCESS */
};

/* Keys for one direction, as derived by kex (RFC 4253 7.2). */
struct tport_keys {
	const struct cryp_cipher_info *cipher;
	const struct cryp_mac_info *mac; /* NULL for AEAD ciphers */
	enum tport_comp comp;
	uint8_t key[64];
	uint8_t iv[64];
	uint8_t mac_key[64];
};

struct tport;

struct tport *tport_new(bool is_server, enum cryp_backend_id backend);
void tport_free(struct tport *t); /* wipes keys; NULL is a no-op */

/*
 * Queue our identification string ("SSH-2.0-qssh_0.1", without CR LF) for
 * sending.  Must be the first output.
 */
int tport_send_version(struct tport *t, const char *ident);
/*
 * Parse the peer's identification string.  QSSH_ERR_AGAIN until a whole
 * line has arrived; a client skips up to TPORT_BANNER_LINES_MAX other lines
 * first.  QSSH_ERR_PROTOCOL_VERSION for a line that is not SSH-2.0 (or
 * SSH-1.99), too long, or with NUL bytes.  On success *ident points to the
 * line without CR LF, owned by t.
 */
int tport_read_version(struct tport *t, const char **ident);
/* Our identification as sent, and the peer's as received (for H). */
const char *tport_local_version(const struct tport *t);
const char *tport_remote_version(const struct tport *t);

/* Bytes from the network.  QSSH_ERR_NO_BUFFER_SPACE if too much is queued. */
int tport_input(struct tport *t, const void *data, size_t len);
/* Bytes tport_input() takes now without QSSH_ERR_NO_BUFFER_SPACE. */
size_t tport_input_room(const struct tport *t);
/*
 * tport_input() without the copy: room for len bytes (at most
 * tport_input_room()) at *dst, e.g. for read(); then tport_input_commit()
 * with the number of bytes that arrived there (0 to len).  Nothing else
 * may be called on t in between.
 */
int tport_input_reserve(struct tport *t, size_t len, uint8_t **dst);
void tport_input_commit(struct tport *t, size_t reserved, size_t len);
/* Bytes to write to the network; consume what was written. */
struct qssh_view tport_output(const struct tport *t);
int tport_output_consume(struct tport *t, size_t len);
size_t tport_output_len(const struct tport *t);

/*
 * Next whole packet: *type and the payload after the type byte.  The view
 * stays valid until the next call on t.  QSSH_ERR_AGAIN when more input is
 * needed.  Errors are fatal for the connection: QSSH_ERR_MAC_INVALID,
 * QSSH_ERR_PACKET_TOO_LARGE, QSSH_ERR_BAD_PADDING, QSSH_ERR_INVALID_FORMAT
 * (compression), ...; tport_disconnect_reason() maps them to SSH codes.
 */
int
tport_read_packet(struct tport *t, uint8_t *type, struct qssh_view *payload);

/*
 * Queue a packet: the message type and its payload.  During a key exchange
 * (between tport_kex_started() and sending NEWKEYS) only transport and kex
 * messages (1..49) go out; others wait in order and follow NEWKEYS.
 */
int tport_send(struct tport *t, uint8_t type, const void *payload, size_t len);
/* Same, with the payload in two parts (a || b), not joined first. */
int tport_send2(struct tport *t, uint8_t type, const void *a, size_t alen,
    const void *b, size_t blen);
/* Same, with the payload in a buffer. */
int tport_send_buf(struct tport *t, uint8_t type, const struct qssh_buf *b);
/* Queue SSH_MSG_DISCONNECT; further sends are refused. */
int tport_send_disconnect(struct tport *t, uint32_t reason, const char *msg);
/* The SSH_DISCONNECT_* code for a QSSH_ERR_* from this layer. */
uint32_t tport_disconnect_reason(int err);

/* Key exchange hooks, called by the control plane's kex. */
void tport_kex_started(struct tport *t);
/*
 * After queueing NEWKEYS: outgoing packets from now on use keys.  Non-kex
 * packets held during kex are released.
 */
int tport_set_keys_out(struct tport *t, const struct tport_keys *keys);
/* After receiving NEWKEYS: incoming packets from now on use keys. */
int tport_set_keys_in(struct tport *t, const struct tport_keys *keys);
/*
 * Strict kex (kex-strict-*-v00@openssh.com): sequence numbers reset to zero
 * at each NEWKEYS.  Set before the first NEWKEYS.
 */
void tport_set_strict_kex(struct tport *t, bool strict);
/* Both directions have taken keys at least once. */
bool tport_first_kex_done(const struct tport *t);
/*
 * Between tport_kex_started() and tport_set_keys_out(): packets other than
 * transport and kex messages are held back (a sender of bulk data should
 * pause rather than fill the hold queue).
 */
bool tport_kex_holding(const struct tport *t);
/* Start delayed compression (zlib@openssh.com) after USERAUTH_SUCCESS. */
void tport_auth_done(struct tport *t);

uint32_t tport_seqnr_in(const struct tport *t);
uint32_t tport_seqnr_out(const struct tport *t);

/*
 * Rekeying: bytes (0 = the RFC 4344 default for the cipher's block size)
 * and seconds (0 = none).  tport_rekey_needed() turns true when either
 * direction passes a limit; it resets when new keys are set.
 */
void tport_set_rekey_limits(struct tport *t, uint64_t bytes, uint32_t seconds);
bool tport_rekey_needed(const struct tport *t);

/*
 * Crypto workers (dataplane/workers.h).  With a port attached, packet
 * crypto runs on the engine: tport_send() frames packets into the output
 * queue and hands their encryption to the workers in bursts, and
 * tport_output() shows only the bytes before the first packet still being
 * encrypted; tport_input() hands whole packets to the workers for
 * decryption as they arrive, and tport_read_packet() returns them in order
 * once decrypted (QSSH_ERR_AGAIN until then).  Lengths are still read on
 * the calling thread.  Without a port everything is done inline, as
 * before.
 *
 * The event loop calls tport_flush() to make progress (hand over what is
 * waiting, collect completions) before reading packets and writing
 * output, and sleeps on tport_event_fd() too when tport_work_pending():
 * after tport_arm_event() returned false, the fd turns readable at the
 * next completion.  Several tports may share one port; they must all be
 * used from the port's thread, and one tport's flush may collect
 * another's completions (that one sees them at its own flush).
 *
 * Rekeying waits for the operations under the old keys.  After we send
 * KEXINIT (or tport_kex_started()) input is decrypted one packet at a time
 * until tport_set_keys_in(), since the peer's NEWKEYS may come at any
 * packet; attach before the first tport_set_keys_in() so that
 * chacha20-poly1305 input can be read ahead.  Detach, or free the tport,
 * before the engine is freed.
 */
struct wrk_port;
/* Attach (port) or detach (NULL); waits for operations in flight. */
int tport_attach_workers(struct tport *t, struct wrk_port *port);
/*
 * Hand waiting operations to the workers and collect completions: 0 or
 * the sticky output error.  Non-blocking.
 */
int tport_flush(struct tport *t);
/* Operations of t are on the workers or waiting to go there. */
bool tport_work_pending(const struct tport *t);
/* The attached port's eventfd, or -1. */
int tport_event_fd(const struct tport *t);
/*
 * Before sleeping: true if completions wait to be processed (call
 * tport_flush() and read again instead of sleeping); false if the event
 * fd will be signalled, or nothing is pending.
 */
bool tport_arm_event(struct tport *t);
/*
 * Block until some of t's work completes (at most timeout_ms, negative =
 * no limit), then flush: 0, QSSH_ERR_AGAIN if nothing is pending,
 * QSSH_ERR_TIMEOUT.
 */
int tport_wait(struct tport *t, int timeout_ms);

struct tport_stats {
	uint64_t packets_in, packets_out;
	uint64_t bytes_in, bytes_out; /* wire bytes */
	uint64_t payload_in, payload_out;
};
void tport_get_stats(const struct tport *t, struct tport_stats *st);

#endif
