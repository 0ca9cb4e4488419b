/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SSH connection protocol (RFC 4254) as a core that does no I/O: the
 * caller feeds the messages 80..100 it received to chan_ctx_handle_packet()
 * and the core hands every message it wants sent to the send callback
 * (normally a thin wrapper around tport_send()).  One implementation serves
 * both roles: qsshd and qssh each create a context.
 *
 * It owns the channel table (local and remote ids, states, limits), the
 * parsing and building of CHANNEL_OPEN, CHANNEL_REQUEST and GLOBAL_REQUEST
 * with their type-specific data, flow control in both directions, the order
 * of the outgoing data, EOF, requests and CLOSE on each channel, and the
 * order of the replies to want-reply requests.  Deciding whether to accept
 * an open or a request is the caller's job, through callbacks.
 *
 * Errors: chan_ctx_handle_packet() returns 0, or a negative QSSH_ERR_* that
 * is fatal for the connection (chan_disconnect_reason() gives the SSH
 * disconnect code, chan_ctx_error() a line for the log):
 *   QSSH_ERR_MESSAGE_INCOMPLETE  truncated message
 *   QSSH_ERR_INVALID_FORMAT      trailing bytes, NUL in a string, bad modes
 *   QSSH_ERR_STRING_TOO_LARGE    a string longer than any packet
 *   QSSH_ERR_NOT_FOUND           no channel with that recipient id
 *   QSSH_ERR_UNEXPECTED_MESSAGE  wrong state (data after EOF, a reply with
 *                                no request pending, confirmation of a
 *                                channel that is not opening, ...)
 *   QSSH_ERR_PROTOCOL            data beyond the window we granted, or a
 *                                session opened after no-more-sessions
 *   QSSH_ERR_PACKET_TOO_LARGE    data larger than our maximum packet
 *   QSSH_ERR_NUMBER_TOO_LARGE    WINDOW_ADJUST past 2^32-1
 *   QSSH_ERR_NOT_SUPPORTED       a message number 83..89 (answer with
 *                                SSH_MSG_UNIMPLEMENTED; not sticky)
 * The first fatal error is sticky: every later call returns it.
 *
 * Messages the peer may legitimately send after we sent CLOSE (data, window
 * adjustments, requests that crossed our CLOSE) are ignored.  Extended data
 * with a type other than 1 (stderr) is counted against the window and
 * dropped, as OpenSSH does.
 *
 * Callbacks run inside chan_ctx_handle_packet() and may call any function
 * of this API, including on the channel they are told about; a channel is
 * freed (the freed callback, after which the pointer is invalid) only once
 * the outermost call returns.
 */
#ifndef QSSH_CONTROL_CHANNEL_H
#define QSSH_CONTROL_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Defaults, as OpenSSH uses them (CHAN_SES_WINDOW_DEFAULT, ...). */
#define CHAN_WINDOW_DEFAULT (2U * 1024 * 1024)
#define CHAN_PACKET_DEFAULT (32U * 1024)
#define CHAN_MAX_SESSIONS_DEFAULT 10
#define CHAN_MAX_CHANNELS_DEFAULT 4096
/*
 * Largest data per CHANNEL_DATA we send or allow as our maximum packet:
 * what fits a 256 KiB transport packet with headers, padding and MAC.
 */
#define CHAN_PACKET_LIMIT (256U * 1024 - 1024)
/* Deferred want-reply requests waiting at once (per channel, global). */
#define CHAN_PENDING_REPLIES_MAX 1024

/* SSH_MSG_CHANNEL_OPEN_FAILURE reason codes (RFC 4254 5.1). */
enum {
	CHAN_OPEN_ACCEPT = 0,
	CHAN_OPEN_ADMINISTRATIVELY_PROHIBITED = 1,
	CHAN_OPEN_CONNECT_FAILED = 2,
	CHAN_OPEN_UNKNOWN_CHANNEL_TYPE = 3,
	CHAN_OPEN_RESOURCE_SHORTAGE = 4,
	/* Open callback only: answer later with chan_open_confirm/refuse. */
	CHAN_OPEN_DEFER = 0x10000,
};

/* What a request callback returns. */
enum chan_reply {
	CHAN_REPLY_FAILURE = 0,
	CHAN_REPLY_SUCCESS = 1,
	/* Answer later with chan_request_reply()/chan_global_reply(). */
	CHAN_REPLY_DEFER = 2,
};

#define CHAN_EXTENDED_DATA_STDERR 1

enum chan_type {
	CHAN_TYPE_SESSION = 0,
	CHAN_TYPE_DIRECT_TCPIP,
	CHAN_TYPE_FORWARDED_TCPIP,
	CHAN_TYPE_X11,
	CHAN_TYPE_AUTH_AGENT, /* auth-agent@openssh.com */
	CHAN_TYPE_DIRECT_STREAMLOCAL, /* direct-streamlocal@openssh.com */
	CHAN_TYPE_FORWARDED_STREAMLOCAL, /* forwarded-streamlocal@... */
	CHAN_TYPE_UNKNOWN,
};

/* Type-specific data of CHANNEL_OPEN; strings are NUL-terminated. */
struct chan_open_info {
	enum chan_type type;
	/* direct-tcpip: host/port to connect; forwarded-tcpip: the
	 * address/port that was connected. */
	const char *host;
	uint32_t port;
	/* tcpip and x11: originator address and port. */
	const char *originator;
	uint32_t originator_port;
	/* streamlocal: the socket path. */
	const char *path;
};

enum chan_req_type {
	CHAN_REQ_PTY = 0, /* pty-req */
	CHAN_REQ_X11, /* x11-req */
	CHAN_REQ_ENV, /* env */
	CHAN_REQ_SHELL, /* shell */
	CHAN_REQ_EXEC, /* exec */
	CHAN_REQ_SUBSYSTEM, /* subsystem */
	CHAN_REQ_WINDOW_CHANGE, /* window-change */
	CHAN_REQ_XON_XOFF, /* xon-xoff */
	CHAN_REQ_SIGNAL, /* signal */
	CHAN_REQ_EXIT_STATUS, /* exit-status */
	CHAN_REQ_EXIT_SIGNAL, /* exit-signal */
	CHAN_REQ_BREAK, /* break (RFC 4335) */
	CHAN_REQ_KEEPALIVE, /* keepalive@openssh.com */
	CHAN_REQ_EOW, /* eow@openssh.com */
	CHAN_REQ_AUTH_AGENT, /* auth-agent-req@openssh.com */
	CHAN_REQ_UNKNOWN,
};

/* Terminal modes (RFC 4254 8): opcodes 1..159 with a uint32 argument. */
#define CHAN_TTY_OP_END 0
#define CHAN_TTY_OP_MAX 160
#define CHAN_TTY_OP_ISPEED 128
#define CHAN_TTY_OP_OSPEED 129
struct chan_tty_modes {
	bool set[CHAN_TTY_OP_MAX];
	uint32_t value[CHAN_TTY_OP_MAX];
};

/*
 * A channel request.  Received: filled by the parser, strings owned by the
 * core and valid during the callback only.  Sent: filled by the caller;
 * only the fields of its type are read (name for CHAN_REQ_UNKNOWN, with
 * data as the raw type-specific bytes).
 */
struct chan_request {
	enum chan_req_type type;
	const char *name; /* request name as received (sanitised) */
	bool want_reply;
	/* pty-req (with modes), window-change */
	const char *term;
	uint32_t cols, rows, width_px, height_px;
	struct chan_tty_modes modes;
	/* x11-req */
	bool single_connection;
	const char *auth_proto;
	const char *auth_cookie;
	uint32_t screen;
	/* env */
	const char *env_name;
	const char *env_value;
	/* exec: the command; subsystem: its name */
	const char *command;
	/* xon-xoff */
	bool client_can_do;
	/* signal, exit-signal: name without "SIG" */
	const char *signal;
	/* exit-status */
	uint32_t exit_status;
	/* exit-signal */
	bool core_dumped;
	const char *error_msg;
	const char *lang;
	/* break: length in milliseconds */
	uint32_t break_ms;
	/* raw type-specific bytes (after want-reply) */
	struct qssh_view data;
	/* received: handle for chan_request_reply() after CHAN_REPLY_DEFER */
	uint64_t ticket;
};

enum chan_global_type {
	CHAN_GLOBAL_TCPIP_FORWARD = 0, /* tcpip-forward */
	CHAN_GLOBAL_CANCEL_TCPIP_FORWARD, /* cancel-tcpip-forward */
	CHAN_GLOBAL_KEEPALIVE, /* keepalive@openssh.com */
	CHAN_GLOBAL_NO_MORE_SESSIONS, /* no-more-sessions@openssh.com */
	CHAN_GLOBAL_HOSTKEYS, /* hostkeys-00@openssh.com */
	CHAN_GLOBAL_HOSTKEYS_PROVE, /* hostkeys-prove-00@openssh.com */
	CHAN_GLOBAL_STREAMLOCAL_FORWARD, /* streamlocal-forward@openssh.com */
	CHAN_GLOBAL_CANCEL_STREAMLOCAL_FORWARD, /* cancel-streamlocal-... */
	CHAN_GLOBAL_UNKNOWN,
};

/* A global request; same ownership rules as struct chan_request. */
struct chan_global_request {
	enum chan_global_type type;
	const char *name;
	bool want_reply;
	/* tcpip-forward, cancel-tcpip-forward */
	const char *address;
	uint32_t port;
	/* streamlocal-forward, cancel-streamlocal-forward */
	const char *path;
	/* hostkeys, hostkeys-prove: the key blobs */
	const struct qssh_view *keys;
	size_t num_keys;
	struct qssh_view data;
	uint64_t ticket;
};

struct chan;
struct chan_ctx;

/* Sends one message; 0 or a negative QSSH_ERR_* (fatal). */
typedef int
chan_send_fn(void *user, uint8_t type, const uint8_t *payload, size_t len);
/* The same with the payload in two parts (a || b), sent without joining. */
typedef int chan_send2_fn(void *user, uint8_t type, const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen);

struct chan_callbacks {
	/*
	 * The peer opens a channel.  Return CHAN_OPEN_ACCEPT, a reason code
	 * (with *desc optionally set to a description) or CHAN_OPEN_DEFER.
	 * chan_set_local_window() may be called here.  NULL refuses all
	 * with ADMINISTRATIVELY_PROHIBITED.
	 */
	uint32_t (*open)(void *user, struct chan *ch,
	    const struct chan_open_info *info, const char **desc);
	/* Our chan_open() was confirmed (reason 0) or refused. */
	void (*open_result)(
	    void *user, struct chan *ch, uint32_t reason, const char *desc);
	/* A channel request; returns enum chan_reply.  NULL fails all. */
	int (*request)(
	    void *user, struct chan *ch, const struct chan_request *req);
	/* The peer answered our want-reply channel request. */
	void (*request_reply)(
	    void *user, struct chan *ch, enum chan_req_type type, bool ok);
	/* Data (ext 0) or extended data (ext 1); a negative return is fatal. */
	int (*data)(void *user, struct chan *ch, uint32_t ext,
	    const uint8_t *data, size_t len);
	void (*eof)(void *user, struct chan *ch);
	/* The peer sent CLOSE; ours follows when this returns. */
	void (*close)(void *user, struct chan *ch);
	/* The remote window grew: chan_write() may accept more. */
	void (*writable)(void *user, struct chan *ch);
	/* The channel is being freed; ch is invalid afterwards. */
	void (*freed)(void *user, struct chan *ch);
	/*
	 * A global request; returns enum chan_reply.  For success, data for
	 * REQUEST_SUCCESS may be appended to reply.  NULL fails all.
	 */
	int (*global_request)(void *user, const struct chan_global_request *req,
	    struct qssh_buf *reply);
	/* The peer answered our want-reply global request. */
	void (*global_reply)(
	    void *user, void *cookie, bool ok, struct qssh_view data);
};

/* Zero fields take the defaults. */
struct chan_config {
	bool is_server;
	uint32_t max_channels; /* all channels, both directions */
	uint32_t max_sessions; /* "session" channels opened by the peer */
	uint32_t window; /* our initial window per channel */
	uint32_t max_packet; /* our maximum packet (data bytes) */
	/* WINDOW_ADJUST once window/adjust_divisor bytes were consumed. */
	uint32_t adjust_divisor;
	/* chan_write() buffers up to this many bytes beyond the window. */
	size_t write_queue_max;
	/* Delivered data counts as consumed only through chan_consume(). */
	bool manual_consume;
	/* chan_finish() sends EOF before exit-status (default: after). */
	bool eof_before_exit;
	/* Optional: channel data goes out through this, header and data
	 * apart (no copy of the data into a message buffer first). */
	chan_send2_fn *send2;
};

struct chan_ctx *chan_ctx_new(chan_send_fn *send,
    const struct chan_callbacks *cb, void *user, const struct chan_config *cfg);
/* Frees all channels (freed callback for each); NULL is a no-op. */
void chan_ctx_free(struct chan_ctx *ctx);

/* One received message, type 80..100, payload after the type byte. */
int chan_ctx_handle_packet(
    struct chan_ctx *ctx, uint8_t type, struct qssh_view payload);
/* Text for the log about the last fatal error ("" when there is none). */
const char *chan_ctx_error(const struct chan_ctx *ctx);
/* SSH_DISCONNECT_* to send for an error of this module. */
int chan_disconnect_reason(int err);

size_t chan_ctx_num_channels(const struct chan_ctx *ctx);
struct chan *chan_ctx_lookup(struct chan_ctx *ctx, uint32_t local_id);

/* ---- channels ---- */

/*
 * Open a channel to the peer.  info->type must be a known type.  The
 * result arrives through open_result.  QSSH_ERR_BUSY at max_channels.
 */
int chan_open(struct chan_ctx *ctx, const struct chan_open_info *info,
    void *chan_user, struct chan **out);
/* Answer a peer's open deferred with CHAN_OPEN_DEFER. */
int chan_open_confirm(struct chan *ch);
int chan_open_refuse(struct chan *ch, uint32_t reason, const char *desc);
/* Our window and maximum packet, before the channel is confirmed. */
int
chan_set_local_window(struct chan *ch, uint32_t window, uint32_t max_packet);

uint32_t chan_id(const struct chan *ch);
uint32_t chan_remote_id(const struct chan *ch);
enum chan_type chan_get_type(const struct chan *ch);
void *chan_user(const struct chan *ch);
void chan_set_user(struct chan *ch, void *user);
struct chan_ctx *chan_get_ctx(const struct chan *ch);

/* State flags (chan_flags()). */
#define CHAN_F_OPENING 0x01
#define CHAN_F_OPEN 0x02
#define CHAN_F_EOF_SENT 0x04
#define CHAN_F_EOF_RCVD 0x08
#define CHAN_F_CLOSE_SENT 0x10
#define CHAN_F_CLOSE_RCVD 0x20
#define CHAN_F_EOF_QUEUED 0x40
#define CHAN_F_CLOSE_QUEUED 0x80
unsigned int chan_flags(const struct chan *ch);

/* Flow control state. */
uint32_t chan_remote_window(const struct chan *ch);
uint32_t chan_remote_max_packet(const struct chan *ch);
uint32_t chan_local_window(const struct chan *ch);
uint32_t chan_local_max_packet(const struct chan *ch);
/* Bytes queued by chan_write() and not yet sent. */
size_t chan_queued(const struct chan *ch);
/* Bytes chan_write() would accept now. */
size_t chan_writable(const struct chan *ch);

/*
 * Write data (ext 0) or extended data: sends what the remote window and
 * maximum packet allow, buffers up to write_queue_max more, and sets
 * *accepted; the rest is the caller's to retry after the writable
 * callback.  QSSH_ERR_INVALID_ARGUMENT once EOF or CLOSE was queued or
 * before the channel is open.
 */
int chan_write(struct chan *ch, const void *data, size_t len, size_t *accepted);
int chan_write_ext(struct chan *ch, uint32_t ext, const void *data, size_t len,
    size_t *accepted);
/* The application processed n delivered bytes (manual_consume). */
int chan_consume(struct chan *ch, size_t n);

/*
 * Send a request after all data queued before it.  With want_reply the
 * answer arrives through request_reply, in order.
 */
int chan_send_request(
    struct chan *ch, const struct chan_request *req, bool want_reply);
/* Answer a deferred request (replies go out in the order received). */
int chan_request_reply(struct chan *ch, uint64_t ticket, bool ok);
/* EOF after all queued data; idempotent. */
int chan_send_eof(struct chan *ch);
/* CLOSE after all queued data and EOF; idempotent. */
int chan_close(struct chan *ch);
/*
 * Server end of a session: exit-status (or exit-signal when exit is a
 * CHAN_REQ_EXIT_SIGNAL request; NULL for none), EOF and CLOSE, in the
 * order of the configuration: exit-status, EOF, CLOSE by default (what
 * OpenSSH's sshd sends), or EOF, exit-status, CLOSE.
 */
int chan_finish(struct chan *ch, const struct chan_request *exit);

/* ---- global requests ---- */
int chan_global_request(struct chan_ctx *ctx,
    const struct chan_global_request *req, bool want_reply, void *cookie);
/* Answer a deferred global request; data goes into REQUEST_SUCCESS. */
int chan_global_reply(struct chan_ctx *ctx, uint64_t ticket, bool ok,
    const void *data, size_t len);
/* no-more-sessions@openssh.com was received. */
bool chan_ctx_no_more_sessions(const struct chan_ctx *ctx);

/* Names on the wire. */
const char *chan_type_name(enum chan_type type);
const char *chan_req_name(enum chan_req_type type);
const char *chan_global_name(enum chan_global_type type);

#endif
