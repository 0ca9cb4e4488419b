/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The relay between a connection's control process and the dataplane
 * process that owns its socket (qsshd).
 *
 * The dataplane runs the binary packet protocol on the network and moves
 * channel data between bound channels and their session descriptors
 * itself (fastpath.h); every other message crosses the relay in the clear,
 * in order, on a local stream socket.  The control process uses the same
 * tport API as on a network socket: a relay tport (tport_new_relay())
 * turns sends, key changes and the other kex hooks into records, and
 * records from the dataplane back into packets and errors.
 *
 * Every record is
 *
 *   uint32  length    (of what follows, at most RELAY_RECORD_MAX)
 *   byte    type      (enum relay_type)
 *   byte[]  body
 *
 * Descriptors (channel binding) travel as SCM_RIGHTS on the bytes of the
 * record that names them; the receiver collects them in arrival order.
 */
#ifndef QSSH_DATAPLANE_RELAY_H
#define QSSH_DATAPLANE_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "dataplane/transport.h"

/* Largest record body: a whole packet and its header. */
#define RELAY_RECORD_MAX (TPORT_PACKET_MAX + 64)
/* Pseudo message type of an application record read from a relay tport. */
#define TPORT_MSG_RELAY_APP 0

enum relay_type {
	/* control -> dataplane: string ident; dataplane -> control: the peer's */
	RELAY_VERSION = 1,
	/*
	 * control -> dataplane: byte msg type, payload;
	 * dataplane -> control: uint32 seqnr, byte msg type, payload.
	 */
	RELAY_PACKET = 2,
	/* dataplane -> control: uint32 QSSH_ERR_* that ended the input */
	RELAY_ERROR = 3,
	/* control -> dataplane: the kex hooks of transport.h */
	RELAY_KEX_STARTED = 4,
	RELAY_KEYS_OUT = 5, /* relay_put_keys() */
	RELAY_KEYS_IN = 6,
	RELAY_STRICT_KEX = 7, /* byte */
	RELAY_AUTH_DONE = 8,
	RELAY_REKEY_LIMITS = 9, /* uint64 bytes, uint32 seconds */
	/* dataplane -> control: the rekey limits are reached */
	RELAY_REKEY = 10,
	/* both: an application record (body: byte app type, ...) */
	RELAY_APP = 11,
};

/* Application records (first byte of a RELAY_APP body). */
enum relay_app {
	/*
	 * control -> dataplane: take over a session channel.
	 *   uint32 local id, uint32 remote id,
	 *   uint32 local window left, uint32 local max packet,
	 *   uint32 remote window, uint32 remote max packet,
	 *   byte   flags (RELAY_BIND_*), byte number of descriptors (1 or 2:
	 *          stdin/stdout, then stderr),
	 *   string data received but not yet written to the session
	 */
	RELAY_APP_BIND = 1,
	/* dataplane -> control: uint32 local id; bound from here on */
	RELAY_APP_BOUND = 2,
	/*
	 * dataplane -> control: uint32 local id; the session's output ended
	 * and the last of it is queued (the control process sends
	 * exit-status, EOF and CLOSE).
	 */
	RELAY_APP_DRAINED = 3,
	/* control -> dataplane: uint32 local id; the session process exited */
	RELAY_APP_EXITED = 4,
	/*
	 * control -> dataplane: byte msg type, payload; a channel message
	 * that reached the control process for a channel being bound, to be
	 * handled by the dataplane as if it had just arrived.
	 */
	RELAY_APP_FORWARD = 5,
	/*
	 * control -> dataplane: uint32 local id; sent on RELAY_APP_BOUND, after
	 * the last RELAY_APP_FORWARD of the channel.  Until then the dataplane
	 * keeps what arrives from the network for the channel, so that the
	 * order of the peer's messages holds.
	 */
	RELAY_APP_BIND_DONE = 6,
};

#define RELAY_BIND_PTY 0x01 /* one descriptor, a pty master */
#define RELAY_BIND_EOF 0x02 /* the peer sent CHANNEL_EOF already */

/*
 * Split the next whole record off the front of v: *type, *body (a view
 * into v) and *total (bytes to consume).  QSSH_ERR_AGAIN if incomplete,
 * QSSH_ERR_PROTOCOL for a length over RELAY_RECORD_MAX or zero.
 */
int relay_next(
    struct qssh_view v, uint8_t *type, struct qssh_view *body, size_t *total);
/* Append a record header for a body of len bytes. */
int relay_put_header(struct qssh_buf *b, uint8_t type, size_t len);

/* Keys of one direction as a RELAY_KEYS_* body (wipe b after use). */
int relay_put_keys(struct qssh_buf *b, const struct tport_keys *k);
int relay_get_keys(struct qssh_view body, struct tport_keys *k);

/*
 * A relay tport: the control process's end.  tport_input() takes bytes
 * from the dataplane, tport_output() shows bytes for it; tport_send*(),
 * the kex hooks and tport_send_version() produce records;
 * tport_read_version() and tport_read_packet() return what the dataplane
 * relayed, its errors (as the error) and application records (as packets
 * of type TPORT_MSG_RELAY_APP, the body as payload).
 */
struct tport *tport_new_relay(bool is_server);
bool tport_is_relay(const struct tport *t);
/* Queue an application record (body: byte app type, ...). */
int tport_relay_send_app(struct tport *t, const void *body, size_t len);

#endif
