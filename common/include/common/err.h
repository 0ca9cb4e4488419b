/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One table of error codes.  Functions return 0 or a negative QSSH_ERR_*;
 * qssh_strerror() gives the message.
 */
#ifndef QSSH_COMMON_ERR_H
#define QSSH_COMMON_ERR_H

#define QSSH_ERR_TABLE(X)                                            \
	X(INTERNAL, -1, "internal error")                            \
	X(ALLOC, -2, "memory allocation failed")                     \
	X(INVALID_ARGUMENT, -3, "invalid argument")                  \
	X(MESSAGE_INCOMPLETE, -4, "incomplete message")              \
	X(INVALID_FORMAT, -5, "invalid format")                      \
	X(BIGNUM_TOO_LARGE, -6, "bignum is too large")               \
	X(BIGNUM_NEGATIVE, -7, "bignum is negative")                 \
	X(STRING_TOO_LARGE, -8, "string is too large")               \
	X(NO_BUFFER_SPACE, -9, "buffer size limit exceeded")         \
	X(LIBCRYPTO, -10, "error in libcrypto")                      \
	X(SYSTEM, -11, "unexpected system error")                    \
	X(MAC_INVALID, -12, "message authentication code incorrect") \
	X(PACKET_TOO_LARGE, -13, "packet too large")                 \
	X(BAD_PADDING, -14, "bad packet padding")                    \
	X(PROTOCOL, -15, "protocol error")                           \
	X(NO_MATCH, -16, "no matching algorithm")                    \
	X(ALG_UNSUPPORTED, -17, "algorithm not supported")           \
	X(KEY_TYPE_UNKNOWN, -18, "unknown or unsupported key type")  \
	X(KEY_TYPE_MISMATCH, -19, "key type does not match")         \
	X(KEY_BAD_PERMISSIONS, -20, "bad permissions")               \
	X(KEY_WRONG_PASSPHRASE, -21,                                 \
	    "incorrect passphrase supplied "                         \
	    "to decrypt private key")                                \
	X(KEY_INVALID, -22, "invalid key")                           \
	X(KEY_LENGTH, -23, "invalid key length")                     \
	X(SIGNATURE_INVALID, -24, "incorrect signature")             \
	X(CONN_CLOSED, -25, "connection closed")                     \
	X(CONN_CORRUPT, -26, "connection corrupted")                 \
	X(DISCONNECTED, -27, "peer sent disconnect")                 \
	X(UNEXPECTED_MESSAGE, -28, "unexpected message")             \
	X(PROTOCOL_VERSION, -29, "protocol version mismatch")        \
	X(AGAIN, -30, "operation would block")                       \
	X(TIMEOUT, -31, "timeout")                                   \
	X(NOT_FOUND, -32, "not found")                               \
	X(BACKEND_UNAVAILABLE, -33, "crypto backend unavailable")    \
	X(CONFIG, -34, "configuration error")                        \
	X(NUMBER_TOO_LARGE, -35, "number is too large")              \
	X(KEY_NOT_FOUND, -36, "key not found")                       \
	X(HOST_KEY_MISMATCH, -37, "host key does not match")         \
	X(KEX_FAILED, -38, "key exchange failed")                    \
	X(KEY_REVOKED, -39, "key is revoked")                        \
	X(PATH_TOO_LONG, -40, "path too long")                       \
	X(BUSY, -41, "resource busy")                                \
	X(EOF, -42, "end of file")                                   \
	X(ACCESS, -43, "permission denied")                          \
	X(NOT_SUPPORTED, -44, "operation not supported")

enum qssh_err {
#define QSSH_ERR_ENUM_(name, val, msg) QSSH_ERR_##name = (val),
	QSSH_ERR_TABLE(QSSH_ERR_ENUM_)
#undef QSSH_ERR_ENUM_
};

/* Message for a QSSH_ERR_* code (0 gives "success"); never NULL. */
const char *qssh_strerror(int err);

/* Symbolic name ("QSSH_ERR_MAC_INVALID") for tests and debug logs. */
const char *qssh_errname(int err);

#endif
