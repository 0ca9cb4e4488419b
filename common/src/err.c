/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/err.h"

const char *
qssh_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define QSSH_ERR_STR_(name, val, msg) \
	case (val):                   \
		return (msg);
		QSSH_ERR_TABLE(QSSH_ERR_STR_)
#undef QSSH_ERR_STR_
	default:
		return "unknown error";
	}
}

const char *
qssh_errname(int err)
{
	switch (err) {
	case 0:
		return "0";
#define QSSH_ERR_NAME_(name, val, msg) \
	case (val):                    \
		return "QSSH_ERR_" #name;
		QSSH_ERR_TABLE(QSSH_ERR_NAME_)
#undef QSSH_ERR_NAME_
	default:
		return "QSSH_ERR_?";
	}
}
