/* SPDX-License-Identifier: ISC */
/* rel_common.h: what the reliability tests share: the base volume they
 * damage, and cryptsetup as the second opinion. */
#ifndef LV_REL_COMMON_H
#define LV_REL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "luksvol.h"
#include "luks2/storage.h"

#define REL_IMAGE_BYTES (3u << 20)

extern const struct lv_pbkdf_params rel_fast_pbkdf;

struct lv_secret *rel_secret(const char *text);

/* Formats image (REL_IMAGE_BYTES) with keyslot 0 "p0", keyslot 1 "p1"
 * and token 0 naming token_keyslot; copies the volume key out. */
int rel_make_base(uint8_t *image, const char *token_keyslot, uint8_t *volume_key,
		  size_t *volume_key_len);

/* cryptsetup luksDump on image (written to path), and, when passphrase
 * is not NULL, cryptsetup open --test-passphrase with it. */
int rel_cryptsetup_accepts(const char *path, const uint8_t *image, const char *passphrase);
/* cryptsetup open --test-passphrase --key-slot slot (LV_ANY_SLOT: any)
 * on image written to path: 1 when passphrase opens it. */
int rel_cryptsetup_opens_slot(const char *path, const uint8_t *image, const char *passphrase,
			      int slot);

/* ---- power-cut sweeps (cmocka: failures end the test) ---- */

#define REL_MAX_KEYS 4
#define REL_MAX_STATES 4
#define REL_STATE_NO_AREA_OFFSETS 1u	/* compare states without keyslot area offsets */

/* A passphrase and the keyslot it must open (LV_ANY_SLOT: any). */
struct rel_key {
	const char *text;
	int slot;
};

/* A state the metadata may be in after a cut, and the passphrases that
 * must then open the volume (up to REL_MAX_KEYS, the rest NULL). */
struct rel_state {
	const char *name;
	enum { REL_FROM_START, REL_FROM_FINAL, REL_FROM_IMAGE, REL_NO_HEADER } from;
	uint8_t *image;		/* REL_FROM_IMAGE: an image in that state */
	int must_appear;	/* some cut must leave this state */
	struct rel_key keys[REL_MAX_KEYS];
};

struct rel_sweep {
	const char *name;
	/* The operation, on a storage it takes over. */
	int (*run)(struct lv_storage *storage, struct lv_err *err);
	const struct rel_state *states;
	unsigned state_count;
	unsigned state_flags;
	const uint8_t *volume_key;	/* every passphrase must yield it */
	size_t volume_key_len;
	const char *tmp_path;		/* scratch file for cryptsetup */
};

/* The metadata of image as text with label and subsystem, without the
 * run-dependent keyslot salts; NULL when luksvol cannot load it. */
char *rel_state_of(uint8_t *image, unsigned flags);
/* 0 when text opens slot of image to volume_key, else a negative errno. */
int rel_opens(uint8_t *image, const char *text, int slot, const uint8_t *volume_key,
	      size_t volume_key_len);
/* Runs sw's operation on start (REL_IMAGE_BYTES) once without a cut
 * (the result goes to final unless NULL), then with the power cut at
 * every write and sync, whole and torn: luksvol must find one of the
 * allowed states, every passphrase of that state must open the volume
 * to the volume key, and cryptsetup must load the image and open it with
 * one of them.  Returns the number of cut points checked. */
unsigned rel_sweep_run(const struct rel_sweep *sw, const uint8_t *start, uint8_t *final);

#endif
