/* SPDX-License-Identifier: ISC */
/*
 * verbs.c: every verb of the `luksvol` command: its synopsis (one line per
 * form, separated by '\n'), the positional arguments and options it
 * accepts and the function that runs it.  -v, -q and --help are accepted
 * everywhere.
 */
#include "cli/compat.h"
#include "lv_features.h"

static const enum cli_opt format_opts[] = {
	CLI_KEY_OPTS, OPT_KEY_SLOT, CLI_FORMAT_OPTS, CLI_KEYSLOT_OPTS, OPT_HEADER, OPT_END,
};
static const enum cli_opt open_opts[] = {
	OPT_TEST_PASSPHRASE, CLI_KEY_OPTS, OPT_KEY_SLOT, CLI_ACTIVATION_OPTS, OPT_HEADER,
	OPT_TOKEN_ONLY, OPT_TOKEN_ID, OPT_TOKEN_TYPE, CLI_TOKEN_KEY_OPTS, OPT_TPM_PCR_SIGNATURE, OPT_END,
};
static const enum cli_opt close_opts[] = { OPT_DEFERRED, OPT_END };
static const enum cli_opt resize_opts[] = {
	CLI_KEY_OPTS, OPT_KEY_SLOT, OPT_SIZE, OPT_DEVICE_SIZE, OPT_END,
};
static const enum cli_opt refresh_opts[] = {
	CLI_KEY_OPTS, OPT_KEY_SLOT, OPT_ALLOW_DISCARDS, OPT_SAME_CPU_CRYPT,
	OPT_SUBMIT_FROM_CRYPT_CPUS, OPT_NO_READ_WORKQUEUE, OPT_NO_WRITE_WORKQUEUE,
	OPT_DISABLE_KEYRING, OPT_END,
};
static const enum cli_opt resume_opts[] = {
	CLI_KEY_OPTS, OPT_KEY_SLOT, OPT_DISABLE_KEYRING, OPT_END,
};
static const enum cli_opt json_opts[] = { OPT_JSON, OPT_END };
static const enum cli_opt add_key_opts[] = {
	CLI_KEY_OPTS, CLI_NEW_KEY_OPTS, OPT_KEY_SLOT, CLI_KEYSLOT_OPTS, OPT_HEADER, OPT_END,
};
static const enum cli_opt key_opts[] = { CLI_KEY_OPTS, OPT_HEADER, OPT_END };
static const enum cli_opt convert_key_opts[] = {
	CLI_KEY_OPTS, OPT_KEY_SLOT, CLI_KEYSLOT_OPTS, OPT_HEADER, OPT_END,
};
static const enum cli_opt uuid_opts[] = { OPT_UUID, OPT_HEADER, OPT_END };
static const enum cli_opt dump_opts[] = {
	OPT_JSON, OPT_VOLUME_KEY, CLI_KEY_OPTS, OPT_KEY_SLOT, OPT_HEADER, OPT_END,
};
static const enum cli_opt no_opts[] = { OPT_END };
static const enum cli_opt header_opts[] = { OPT_HEADER, OPT_END };
static const enum cli_opt token_import_opts[] = {
	OPT_TOKEN_ID, OPT_JSON_FILE, OPT_TOKEN_REPLACE, OPT_HEADER, OPT_END,
};
static const enum cli_opt token_io_opts[] = { OPT_TOKEN_ID, OPT_JSON_FILE, OPT_HEADER, OPT_END };
static const enum cli_opt token_add_opts[] = {
	OPT_KEY_DESCRIPTION, OPT_KEY_SLOT, OPT_TOKEN_ID, OPT_HEADER, OPT_END,
};
static const enum cli_opt token_unassign_opts[] = {
	OPT_TOKEN_ID, OPT_KEY_SLOT, OPT_HEADER, OPT_END,
};
static const enum cli_opt token_remove_opts[] = { OPT_TOKEN_ID, OPT_HEADER, OPT_END };
static const enum cli_opt unbind_opts[] = { OPT_KEY_SLOT, OPT_END };
#if LV_WITH_CLEVIS
#define BIND_OPTS CLI_KEY_OPTS, OPT_KEY_SLOT, OPT_TOKEN_ID, CLI_PBKDF_OPTS, OPT_TIMEOUT
static const enum cli_opt bind_tang_opts[] = { BIND_OPTS, OPT_URL, OPT_THUMBPRINT, OPT_END };
static const enum cli_opt bind_tpm2_opts[] = {
	BIND_OPTS, OPT_TPM_TCTI, OPT_PCRS, OPT_PCR_BANK, OPT_END,
};
static const enum cli_opt bind_sss_opts[] = { BIND_OPTS, OPT_TPM_TCTI, OPT_PIN_CONFIG, OPT_END };
#endif
static const enum cli_opt label_opts[] = { OPT_LABEL, OPT_SUBSYSTEM, OPT_HEADER, OPT_END };
static const enum cli_opt backup_opts[] = { OPT_BACKUP_FILE, OPT_HEADER, OPT_END };
static const enum cli_opt meta_dump_opts[] = { OPT_JSON, OPT_SHOW_SECRETS, OPT_END };
static const enum cli_opt meta_get_opts[] = { OPT_SHOW_SECRETS, OPT_END };
static const enum cli_opt meta_set_opts[] = { OPT_VALUE_FILE, OPT_FORCE_META, OPT_END };
static const enum cli_opt meta_delete_opts[] = { OPT_FORCE_META, OPT_END };
#if LV_WITH_YAML
static const enum cli_opt config_check_opts[] = { OPT_FILE, OPT_END };
static const enum cli_opt config_show_opts[] = { OPT_FILE, OPT_JSON, OPT_END };
static const enum cli_opt apply_opts[] = {
	OPT_FILE, OPT_DEVICE, OPT_NODE_UUID, OPT_STATE_DIR,
#if LV_WITH_KMS
	OPT_KMS_CA,
#endif
	OPT_NO_ACTIVATE, OPT_NO_SYNC, OPT_DRY_RUN, OPT_YES, OPT_JSON, OPT_META, OPT_FORCE_META,
	CLI_PBKDF_OPTS,
	OPT_TPM_TCTI, OPT_TPM_PCR_PUBLIC_KEY, OPT_TPM_PCR_SIGNATURE, OPT_EFIVARS_DIR, OPT_END,
};
static const enum cli_opt wipe_opts[] = { OPT_LABEL, OPT_YES, OPT_END };
static const enum cli_opt talos_open_opts[] = {
	OPT_DISK, OPT_META, OPT_DEVICE, OPT_NODE_UUID, OPT_JSON, OPT_END,
};
#endif

const struct cli_verb cli_verbs[] = {
	{ "format", "[options] [--key-file F] DEVICE", 1, 1, format_opts, cli_format, NULL },
	{ "open", "--test-passphrase [--key-file F] [--key-slot N] DEVICE\n"
		  "[--key-file F] [--key-slot N] [activation options] DEVICE NAME\n"
		  "--token-only [--token-id N] [--token-type T] [--test-passphrase] DEVICE [NAME]", 1,
	  2, open_opts, cli_open, NULL },
	{ "close", "[--deferred] NAME", 1, 1, close_opts, cli_close, NULL },
	{ "status", "[--json] [NAME]", 0, 1, json_opts, cli_status, NULL },
	{ "resize", "[--key-file F] [--size SECTORS | --device-size BYTES] NAME", 1, 1, resize_opts,
	  cli_resize, NULL },
	{ "refresh", "[--key-file F] [activation options] NAME", 1, 1, refresh_opts, cli_refresh, NULL },
	{ "suspend", "NAME", 1, 1, no_opts, cli_suspend, NULL },
	{ "resume", "[--key-file F] [--key-slot N] NAME", 1, 1, resume_opts, cli_resume, NULL },
	{ "add-key", "[--key-file OLD] [--new-key-file NEW] [--key-slot N] [pbkdf options] DEVICE",
	  1, 1, add_key_opts, cli_add_key, NULL },
	{ "remove-key", "[--key-file F] DEVICE", 1, 1, key_opts, cli_remove_key, NULL },
	{ "kill-slot", "[--key-file F] DEVICE SLOT", 2, 2, key_opts, cli_kill_slot, NULL },
	{ "change-key", "[--key-file OLD] [--new-key-file NEW] [--key-slot N] [pbkdf options] DEVICE",
	  1, 1, add_key_opts, cli_change_key, NULL },
	{ "convert-key", "[--key-file F] [--key-slot N] [pbkdf options] DEVICE", 1, 1,
	  convert_key_opts, NULL, compat_convert_key },
	{ "dump", "[--json] [--volume-key [--key-file F]] DEVICE", 1, 1, dump_opts, cli_dump, NULL },
	{ "is-luks", "[--header F] DEVICE", 1, 1, header_opts, cli_is_luks, NULL },
	{ "uuid", "[--uuid U] DEVICE", 1, 1, uuid_opts, NULL, compat_uuid },
	{ "token import", "[--token-id N [--token-replace]] [--json-file F] DEVICE", 1, 1,
	  token_import_opts, cli_token_import, NULL },
	{ "token export", "--token-id N [--json-file F] DEVICE", 1, 1, token_io_opts,
	  cli_token_export, NULL },
	{ "token remove", "--token-id N DEVICE", 1, 1, token_remove_opts, cli_token_remove, NULL },
	{ "token add", "--key-description D [--key-slot N] [--token-id N] DEVICE", 1, 1,
	  token_add_opts, NULL, compat_token },
	{ "token unassign", "--token-id N --key-slot N DEVICE", 1, 1, token_unassign_opts, NULL,
	  compat_token },
#if LV_WITH_CLEVIS
	{ "bind tang", "--url URL [--thumbprint THP] [--key-file F] [--key-slot N] DEVICE", 1, 1,
	  bind_tang_opts, cli_bind_tang, NULL },
	{ "bind tpm2", "--pcrs LIST [--pcr-bank BANK] [--tpm-tcti T] [--key-file F] "
		       "[--key-slot N] DEVICE", 1, 1, bind_tpm2_opts, cli_bind_tpm2, NULL },
	{ "bind sss", "--config JSON [--key-file F] [--key-slot N] DEVICE", 1, 1, bind_sss_opts,
	  cli_bind_sss, NULL },
#endif
	{ "unbind", "--key-slot N DEVICE", 1, 1, unbind_opts, cli_unbind, NULL },
	{ "config", "[--label L] [--subsystem S] DEVICE", 1, 1, label_opts, cli_config, NULL },
#if LV_WITH_YAML
	{ "config check", "-f FILE", 0, 0, config_check_opts, cli_config_check, NULL },
	{ "config show", "-f FILE [--json]", 0, 0, config_show_opts, cli_config_show, NULL },
#endif
	{ "header-backup", "--header-backup-file F DEVICE", 1, 1, backup_opts, cli_header_backup, NULL },
	{ "header-restore", "--header-backup-file F DEVICE", 1, 1, backup_opts,
	  cli_header_restore, NULL },
	{ "repair", "[--header F] DEVICE", 1, 1, header_opts, cli_repair, NULL },
	{ "erase", "[--header F] DEVICE", 1, 1, header_opts, cli_erase, NULL },
	{ "meta dump", "[--json] [--show-secrets] DEVICE", 1, 1, meta_dump_opts, cli_meta_dump, NULL },
	{ "meta get", "[--show-secrets] TAG DEVICE", 2, 2, meta_get_opts, cli_meta_get, NULL },
	{ "meta set", "[--value-file F] [--force-meta] TAG DEVICE", 2, 2, meta_set_opts,
	  cli_meta_set, NULL },
	{ "meta delete", "[--force-meta] TAG DEVICE", 2, 2, meta_delete_opts, cli_meta_delete, NULL },
#if LV_WITH_YAML
	/* The Talos verbs: a WITH_YAML=0 build leaves out cmd_apply.c and src/keys. */
	{ "apply", "-f FILE [--device VOLUMEID=PATH]... [--node-uuid U] [--state-dir DIR] "
#if LV_WITH_KMS
		   "[--kms-ca FILE] "
#endif
		   "[--no-activate] [--no-sync] [--dry-run] [--yes] [--json] [--meta DEV] "
		   "[--force-meta] [pbkdf options] [tpm options]", 0, 0, apply_opts, cli_apply, NULL },
	{ "wipe", "[--yes] --label LABEL | DEVICE", 0, 1, wipe_opts, cli_wipe, NULL },
	{ "talos open", "[--disk DISK] [--meta DEV] [--device VOLUMEID=PATH]... [--node-uuid U] "
			"[--json]", 0, 0, talos_open_opts, cli_talos_open, NULL },
	{ "talos close", "", 0, 0, no_opts, cli_talos_close, NULL },
#endif
};

const unsigned cli_verb_count = sizeof(cli_verbs) / sizeof(cli_verbs[0]);
