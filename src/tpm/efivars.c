/* SPDX-License-Identifier: ISC */
/* efivars.c: SecureBoot and SetupMode from efivarfs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tpm/efivars.h"
#include "tpm/small_file.h"

/* EFI_GLOBAL_VARIABLE, the vendor GUID of SecureBoot and SetupMode. */
#define EFI_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
/* An efivarfs file: 4 bytes of attributes, then the data. */
#define EFIVAR_ATTR_BYTES 4
#define EFIVAR_MAX 4096

/* *value: the variable's first data byte, 0 when it is absent. */
static int efivar_u8(const char *dir, const char *name, int *value, struct lv_err *err)
{
	char path[4096];
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	*value = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s-%s", dir, name, EFI_GLOBAL_GUID) >=
	    sizeof(path))
		return lv_err_set(err, -ENAMETOOLONG, "efivars %s: path too long", dir);
	r = lv_small_file_read(path, EFIVAR_MAX, "EFI variable", &data, &len, err);
	if (r == -ENOENT)
		return 0;
	if (r == 0 && len <= EFIVAR_ATTR_BYTES)
		r = lv_err_set(err, -EINVAL, "EFI variable %s: %zu bytes, no value", path, len);
	if (r == 0)
		*value = data[EFIVAR_ATTR_BYTES];
	free(data);
	return r;
}

int lv_efi_secureboot_check(const char *dir, struct lv_err *err)
{
	int secure_boot, setup_mode, r;

	if (!dir)
		dir = LV_EFIVARS_DIR;
	r = efivar_u8(dir, "SecureBoot", &secure_boot, err);
	if (r == 0 && secure_boot != 1)
		r = lv_err_set(err, -EPERM,
			       "cannot enrol the TPM key: SecureBoot is disabled (%s) and "
			       "checkSecurebootStatusOnEnroll is set",
			       dir);
	if (r == 0)
		r = efivar_u8(dir, "SetupMode", &setup_mode, err);
	if (r == 0 && setup_mode == 1)
		r = lv_err_set(err, -EPERM,
			       "cannot enrol the TPM key: the firmware is in SecureBoot setup mode "
			       "(%s) and checkSecurebootStatusOnEnroll is set",
			       dir);
	return r;
}
