/* SPDX-License-Identifier: ISC */
/* argon2.c: lv_argon2 on top of libargon2, shared by every crypto backend. */
#include <argon2.h>
#include <errno.h>

#include "crypto/crypto.h"

static int argon2_errno(int argon2_result)
{
	switch (argon2_result) {
	case ARGON2_OK:
		return 0;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		return -ENOMEM;
	case ARGON2_THREAD_FAIL:
		return -EIO;
	default:
		/* Every other code rejects a parameter: length, cost or lanes. */
		return -EINVAL;
	}
}

int lv_argon2(enum lv_argon2_type type, const void *password, size_t password_len,
	      const void *salt, size_t salt_len, uint32_t time_cost,
	      uint32_t memory_kib, uint32_t parallel, uint8_t *out, size_t out_len)
{
	argon2_type variant;
	int r;

	if (!out)
		return -EINVAL;
	lv_wipe(out, out_len);
	if ((!password && password_len) || (!salt && salt_len))
		return -EINVAL;
	switch (type) {
	case LV_ARGON2I:
		variant = Argon2_i;
		break;
	case LV_ARGON2ID:
		variant = Argon2_id;
		break;
	default:
		return -EINVAL;
	}
	/* argon2_hash runs parallel lanes on as many threads, no secret and no
	 * associated data, as LUKS2 does. */
	r = argon2_hash(time_cost, memory_kib, parallel, password, password_len, salt,
			salt_len, out, out_len, NULL, 0, variant, ARGON2_VERSION_13);
	if (r != ARGON2_OK)
		lv_wipe(out, out_len);
	return argon2_errno(r);
}
