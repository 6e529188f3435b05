/* SPDX-License-Identifier: ISC */
/* names.c: the flag names and Talos's ciphers of constants.h. */
#include <string.h>

#include "base/constants.h"

const struct lv_flag_names lv_flag_names[] = {
	{ LV_FLAG_ALLOW_DISCARDS, "allow-discards", "allow_discards", "discards", 0 },
	{ LV_FLAG_SAME_CPU_CRYPT, "same-cpu-crypt", "same_cpu_crypt", "same_cpu_crypt", 1 },
	{ LV_FLAG_SUBMIT_FROM_CRYPT_CPUS, "submit-from-crypt-cpus", "submit_from_crypt_cpus",
	  "submit_from_crypt_cpus", 0 },
	{ LV_FLAG_NO_JOURNAL, "no-journal", NULL, "no_journal", 0 },
	{ LV_FLAG_NO_READ_WORKQUEUE, "no-read-workqueue", "no_read_workqueue", "no_read_workqueue", 1 },
	{ LV_FLAG_NO_WRITE_WORKQUEUE, "no-write-workqueue", "no_write_workqueue",
	  "no_write_workqueue", 1 },
	/* cryptsetup's config.flags name has an underscore. */
	{ LV_FLAG_HIGH_PRIORITY, "high_priority", NULL, "high_priority", 0 },
	{ 0, NULL, NULL, NULL, 0 },
};

const char *const lv_talos_ciphers[LV_TALOS_CIPHER_COUNT] = {
	"aes-xts-plain64",
	"xchacha12,aes-adiantum-plain64",
	"xchacha20,aes-adiantum-plain64",
};

int lv_talos_cipher(const char *cipher)
{
	for (size_t i = 0; i < LV_TALOS_CIPHER_COUNT; i++)
		if (strcmp(cipher, lv_talos_ciphers[i]) == 0)
			return 1;
	return 0;
}
