/* SPDX-License-Identifier: ISC */
/*
 * config.h: Talos-style volume documents (VolumeConfig, UserVolumeConfig,
 * RawVolumeConfig, SwapVolumeConfig; apiVersion v1alpha1) as typed structs.
 * talos-encryption.md §1 is the schema.  The public entry points
 * (lv_config_load, lv_config_print, ...) are declared in luksvol-talos.h;
 * this header is for src/keys and src/talos, which act on the volumes.
 */
#ifndef LV_CONFIG_H
#define LV_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "luksvol-talos.h"

enum lv_volume_kind {
	LV_VOLUME_SYSTEM,		/* VolumeConfig: STATE, EPHEMERAL, ... */
	LV_VOLUME_USER,			/* UserVolumeConfig: u-<name> */
	LV_VOLUME_RAW,			/* RawVolumeConfig: r-<name> */
	LV_VOLUME_SWAP,			/* SwapVolumeConfig: s-<name> */
};

/* A key's kind: the first of static, nodeID, kms, tpm that is set (§1.1),
 * then luksvol's own tang.  A new kind goes before LV_KEY_KIND_COUNT (see
 * src/keys/keysrc.h). */
enum lv_key_kind {
	LV_KEY_STATIC,
	LV_KEY_NODEID,
	LV_KEY_KMS,
	LV_KEY_TPM,
	LV_KEY_TANG,			/* luksvol's extension: Talos refuses it */
	LV_KEY_KIND_COUNT,
};

/* The kind's key in the config: "static", "nodeID", "kms", "tpm", "tang". */
const char *lv_key_kind_name(enum lv_key_kind kind);

#define LV_TPM_PCR_MAX 24

struct lv_key_static {
	struct lv_secret *passphrase;	/* the bytes as written */
};

struct lv_key_kms {
	char *endpoint;			/* as written: "kms:4050", "https://..." */
};

/* A clevis tang binding: the keyslot's passphrase is random and kept in a
 * clevis token, encrypted to the server's key (src/clevis). */
struct lv_key_tang {
	char *url;			/* "http://tang.example:7500" */
	char *thumbprint;		/* the S256 thumbprint of its signing key */
};

struct lv_key_tpm {
	int pcrs[LV_TPM_PCR_MAX];	/* [7] when options is absent */
	size_t pcr_count;
	int check_secureboot;		/* checkSecurebootStatusOnEnroll */
};

/* One configured key: its slot, its kind and that kind's fields (nodeID
 * has none), lockToState. */
struct lv_config_key {
	int slot;			/* 0..31 */
	enum lv_key_kind kind;		/* which member of the union is set */
	union {
		struct lv_key_static static_key;
		struct lv_key_kms kms;
		struct lv_key_tpm tpm;
		struct lv_key_tang tang;
	};
	int lock_to_state;
	unsigned line, column;		/* of the key's mapping in the file */
};

struct lv_config_encryption {
	int enabled;			/* 0 when the spec is zero (§1.1) */
	struct lv_config_key *keys;	/* in document order */
	size_t key_count;
	char *cipher;			/* effective: "aes-xts-plain64" when empty */
	uint32_t key_bits;		/* effective: 512 for XTS, 256 for Adiantum */
	uint32_t block_size;		/* 0: not given */
	unsigned perf_flags;		/* LV_FLAG_NO_READ_WORKQUEUE, ... */
	int allow_discards;
};

struct lv_config_volume {
	enum lv_volume_kind kind;
	char *name;			/* as written: "STATE", "data" */
	char *volume_id;		/* "STATE", "u-data", "r-x", "s-y" */
	struct lv_config_encryption encryption;
	unsigned line, column;		/* of the document */
	/* Parsed and validated but not acted on: provisioning, filesystem,
	 * mount, volumeType, ... (struct cfg_doc, cfg_internal.h). */
	void *unused_fields;
};

 /* Named lv_config_file because struct lv_config is the LUKS2 "config"
 * object in src/luks2/metadata.h, and src/keys includes both headers.
 * The public API in luksvol-talos.h must use this name too. */
struct lv_config_file {
	char *path;
	struct lv_config_volume *volumes;	/* in document order */
	size_t volume_count;
	char *notices;			/* newline-separated, "" when none */
};

/* lv_config_load over len bytes of memory (any bytes: fuzzers call it);
 * name is the file name messages give. */
int lv_config_parse_mem(const char *name, const uint8_t *buf, size_t len,
			struct lv_config_file **cfg, char **diagnostics, struct lv_err *err);

#endif
