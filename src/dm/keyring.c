/* SPDX-License-Identifier: ISC */
/* keyring.c: add_key(2) and keyctl(2) without libkeyutils. */
#include <errno.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dm/keyring.h"

int32_t lv_keyring_add_logon(const char *description, const struct lv_secret *key)
{
	long serial = syscall(SYS_add_key, "logon", description, key->bytes, key->len,
			      KEY_SPEC_THREAD_KEYRING);

	return serial < 0 ? -errno : (int32_t)serial;
}

void lv_keyring_drop(int32_t serial)
{
	if (serial <= 0)
		return;
	/* Invalidate wipes the payload at once; unlink is the fallback for
	 * kernels without KEYCTL_INVALIDATE. */
	if (syscall(SYS_keyctl, KEYCTL_INVALIDATE, serial) < 0)
		syscall(SYS_keyctl, KEYCTL_UNLINK, serial, KEY_SPEC_THREAD_KEYRING);
}
