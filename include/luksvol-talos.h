/* SPDX-License-Identifier: ISC */
/*
 * luksvol-talos.h: Talos Linux's volume encryption model over luksvol's
 * LUKS2 (include luksvol.h's conventions): the volume config (src/config)
 * and `luksvol apply` / `luksvol wipe` (src/talos, with the key sources
 * of src/keys).  Not in a WITH_YAML=0 build.
 */
#ifndef LUKSVOL_TALOS_H
#define LUKSVOL_TALOS_H

#include <stddef.h>
#include <stdio.h>

#include "luksvol.h"

/*
 * Talos-style volume config (src/config): a YAML file of VolumeConfig,
 * UserVolumeConfig, RawVolumeConfig and SwapVolumeConfig documents
 * (apiVersion v1alpha1; talos-encryption.md §1), validated with Talos's
 * messages.  Other documents (a machine config) are skipped with a notice.
 * The typed structs are in src/config/config.h.
 */
struct lv_config_file;

/* Reads and validates path ("-": standard input).  On success *cfg is set.
 * A config with errors returns -EINVAL and, when diagnostics is non-NULL,
 * sets *diagnostics (free() it) to every error, one "FILE:LINE:COL: message"
 * line each, in file order.  A file that cannot be read returns its errno
 * and no diagnostics. */
int lv_config_load(const char *path, struct lv_config_file **cfg, char **diagnostics,
		   struct lv_err *err);
/* "FILE:LINE:COL: notice: message" lines (aliases read, defaults taken,
 * documents skipped), or "" when none. */
const char *lv_config_notices(const struct lv_config_file *cfg);
/* The canonical form, one document per volume with the effective
 * encryption values filled in, as YAML (json 0) or a JSON array.  Static
 * passphrases are printed as "REDACTED". */
int lv_config_print(const struct lv_config_file *cfg, FILE *out, int json, struct lv_err *err);
/* Frees cfg and wipes its passphrases; sets *cfg to NULL. */
void lv_config_free(struct lv_config_file **cfg);

/*
 * Talos-style volumes (src/keys): `luksvol apply` formats empty volumes,
 * opens encrypted ones and keeps their keyslots in sync with the config
 * (talos-encryption.md §3, §4).
 */

struct lv_apply_report;

/*
 * What the key sources need from the machine (talos-encryption.md §2).
 * Every field is optional: NULL or 0 takes the default named.  The kms
 * and tpm fields are read by those sources in builds that have them.
 */
struct lv_key_settings {
	/* nodeID and kms keys: the node's UUID (Talos's SMBIOS UUID, or
	 * META's UUIDOverride).  NULL: /sys/class/dmi/id/product_uuid,
	 * lowercased.  Talos's entropy check applies either way. */
	const char *node_uuid;
	/* nodeID and kms keys, when node_uuid is NULL: set when the node's
	 * UUID cannot be known (META could not be read, so whether its
	 * UUIDOverride replaces the SMBIOS UUID is unknown); such keys then
	 * fail with this reason instead of using product_uuid. */
	const char *node_uuid_unknown;
	/* lockToState keys: the mounted STATE filesystem, which holds
	 * encryption-salt.yaml.  NULL: such keys cannot be derived. */
	const char *state_dir;
	/* kms keys: a PEM file of CA certificates trusted for https://
	 * endpoints besides the system roots.  NULL: the system roots. */
	const char *kms_ca_file;
	/* tpm keys: the TPM's TCTI ("device:/dev/tpmrm0",
	 * "swtpm:host=127.0.0.1,port=2321").  NULL: /dev/tpmrm0, else
	 * /dev/tpm0. */
	const char *tpm_tcti;
	/* tpm keys: the PEM RSA public key that signs PCR 11 policies (the
	 * UKI's .pcrpkey).  NULL: /.extra/tpm2-pcr-public-key.pem. */
	const char *tpm_pcr_public_key;
	/* tpm keys: systemd-stub's signed PCR policies (.pcrsig JSON).
	 * NULL: /.extra/tpm2-pcr-signature.json. */
	const char *tpm_pcr_signature;
	/* tpm keys with checkSecurebootStatusOnEnroll: the EFI variables.
	 * NULL: /sys/firmware/efi/efivars. */
	const char *efivars_dir;
	/* The bound on deriving one key (a new key, or an existing keyslot's
	 * from its token), network and TPM included, in milliseconds.  0:
	 * 20000, the timeout Talos gives each key handler.  A source that
	 * is still busy then fails that key with -ETIMEDOUT. */
	unsigned key_timeout_ms;
	/* kms keys: the bound on one KMS call, within key_timeout_ms.  0:
	 * 10000, Talos's. */
	unsigned kms_timeout_ms;
};

struct lv_apply_params {
	const char *const *devices;	/* "VOLUMEID=PATH" overrides, NULL-terminated */
	struct lv_key_settings keys;	/* what the key sources read */
	int no_activate;		/* unlock and sync, but map nothing */
	int no_sync;			/* open and map only: no header is ever written
					 * (no format, no recovery, no keyslot change) */
	int dry_run;			/* plan only: nothing is written */
	struct lv_pbkdf_params pbkdf;	/* type NULL: argon2id, cryptsetup's costs */
	/* When set, the key sync removes or replaces only the keyslots this
	 * earlier --dry-run report planned to (what a user confirmed); any
	 * other is left as it is and reported.  NULL: Talos's sync. */
	const struct lv_apply_report *confirmed;
	/* META (talos-encryption.md §6): the partition or image, NULL: the
	 * partition named META, if there is one.  apply reads its
	 * UUIDOverride (tag 15) when keys.node_uuid is NULL, takes STATE's
	 * encryption config from tag 9 when cfg has no STATE document, and
	 * stores an encrypted STATE's config there (only when it changed and
	 * STATE was formatted or opened). */
	const char *meta_device;
	int force_meta;			/* write tag 9 over a META neither of whose
					 * copies is valid (Talos does; luksvol refuses) */
	int no_meta;			/* neither read nor write META */
	int map_readonly;		/* map read-only: nothing above the mapping
					 * writes either (talos open's STATE) */
};

/* Applies every encrypted volume of cfg, STATE first.  Returns 0 when the
 * run itself could start; per-volume outcomes are in *report. */
int lv_apply(const struct lv_config_file *cfg, const struct lv_apply_params *params,
	     struct lv_apply_report **report, struct lv_err *err);
/* One line per volume and action, or a JSON document when json is set. */
void lv_apply_report_print(const struct lv_apply_report *report, FILE *out, int json);
/* 0 when every encrypted volume was formatted or opened, else the
 * negative errno of the first volume that was not, with its error in err.
 * Key-sync failures don't count: the volume is usable. */
int lv_apply_report_status(const struct lv_apply_report *report, struct lv_err *err);
void lv_apply_report_free(struct lv_apply_report **report);
/* Prints the keyslots a --dry-run report plans to remove or replace, one
 * line each ("u-data: would remove keyslot 7"); returns how many. */
unsigned lv_apply_report_print_destructive(const struct lv_apply_report *report, FILE *out);

/*
 * A Talos node's disk opened for rescue (`luksvol talos open`): the
 * partitions named META, STATE, EPHEMERAL, u-<name>, r-<name>, s-<name>;
 * STATE opened with its config from META's tag 9 (and the node UUID from
 * tag 15 unless keys.node_uuid is set), mapped as /dev/mapper/luks2-STATE
 * and mounted read-only at LV_TALOS_STATE_MOUNT; the machine config Talos
 * keeps there (config.yaml) read, and the encrypted volumes it names
 * opened and mapped, lockToState keys with STATE's encryption-salt.yaml.
 * No header and no META byte is ever written: every volume is opened
 * read-only, as apply --no-sync does, and nothing here can ask otherwise.
 * What it made is recorded in LV_TALOS_RUN_DIR for lv_talos_close.
 */
#define LV_TALOS_RUN_DIR "/run/luksvol"
#define LV_TALOS_STATE_MOUNT LV_TALOS_RUN_DIR "/talos-STATE"

struct lv_talos_open_params {
	const char *disk;		/* the whole disk to look on; NULL: every disk */
	const char *meta_device;	/* META, instead of the partition named META */
	const char *const *devices;	/* "VOLUMEID=PATH" overrides, NULL-terminated */
	struct lv_key_settings keys;	/* state_dir is ignored: STATE's mount is used */
};

struct lv_talos_disk;

/* Opens what it can.  Returns 0 once STATE is open and mounted (every
 * other outcome is in *disk), or a negative errno with nothing left
 * mapped or mounted: the disk has no usable META or STATE, or a Talos
 * disk is open already (-EBUSY). */
int lv_talos_open(const struct lv_talos_open_params *params, struct lv_talos_disk **disk,
		  struct lv_err *err);
/* A table of the volumes (partition, mapping, outcome), or JSON. */
void lv_talos_disk_print(const struct lv_talos_disk *disk, FILE *out, int json);
/* 0 when every volume the machine config encrypts was opened, else the
 * first failure's negative errno with its message in err. */
int lv_talos_disk_status(const struct lv_talos_disk *disk, struct lv_err *err);
void lv_talos_disk_free(struct lv_talos_disk **disk);
/* Unmounts STATE and closes the mappings lv_talos_open made, one line
 * each on out; -EBUSY (with what is left recorded) when one is in use,
 * -ENODEV when no Talos disk is open. */
int lv_talos_close(FILE *out, struct lv_err *err);

/* The partition whose GPT name is label (libblkid), e.g. "/dev/vda3". */
int lv_partition_find(const char *label, char *path, size_t path_size, struct lv_err *err);

/* Destroys the LUKS header, its keyslots and every other signature on
 * path, so that the next apply finds it empty.  -EBUSY when in use. */
int lv_wipe_device(const char *path, struct lv_err *err);

#endif
