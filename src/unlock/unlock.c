/* SPDX-License-Identifier: ISC */
/*
 * unlock.c: the table of token unlockers, and lv_token_open: a device's
 * tokens of the types luksvol can unlock with, in id order, their
 * passphrases fetched with no lock held, each keyslot opened under a fresh
 * load of the device.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/constants.h"
#include "lv_features.h"
#include "unlock/unlock.h"

struct unlocker_entry {
	const char *type;
	const struct lv_unlocker_ops *ops;	/* NULL: not in this build */
	const char *why;			/* then: why not */
};

/* UNLOCKER(LV_WITH_X, "WITH_X", type, ops): the unlocker, or in a build
 * without the flag none and the flag's name; ops is not even named then
 * (its file is not compiled). */
#define UNLOCKER(with, flag, type, ops) UNLOCKER_(with, flag, type, ops)
#define UNLOCKER_(with, flag, type, ops) UNLOCKER_##with(flag, type, ops)
#define UNLOCKER_1(flag, type, ops) { (type), &(ops), NULL }
#define UNLOCKER_0(flag, type, ops) { (type), NULL, "built with " flag "=0" }

extern const struct lv_unlocker_ops lv_unlocker_clevis, lv_unlocker_systemd_tpm2;

static const struct unlocker_entry unlockers[] = {
	UNLOCKER(LV_WITH_CLEVIS, "WITH_CLEVIS", "clevis", lv_unlocker_clevis),
	UNLOCKER(LV_WITH_TPM, "WITH_TPM", "systemd-tpm2", lv_unlocker_systemd_tpm2),
};

const struct lv_unlocker_ops *lv_unlocker_find(const char *type, const char **why)
{
	for (size_t i = 0; i < sizeof(unlockers) / sizeof(unlockers[0]); i++) {
		if (strcmp(unlockers[i].type, type) != 0)
			continue;
		if (why)
			*why = unlockers[i].why;
		return unlockers[i].ops;
	}
	if (why)
		*why = "not supported";
	return NULL;
}

#define TYPE_MAX 64

/* A token luksvol can try. */
struct candidate {
	int id;
	char type[TYPE_MAX];
	char *json;
	const struct lv_unlocker_ops *ops;
};

struct scan {
	struct candidate list[LV_KEYSLOT_COUNT];
	size_t count;
	char passed_over[LV_ERR_MSG_MAX];	/* "token 1 is luks2-keyring: not supported" */
};

/* The "type" of a token's JSON, "" when it has none. */
static void token_type(const char *json, char type[TYPE_MAX])
{
	struct json_object *root = json_tokener_parse(json), *value;

	type[0] = '\0';
	if (root && json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "type", &value) &&
	    json_object_is_type(value, json_type_string))
		snprintf(type, TYPE_MAX, "%s", json_object_get_string(value));
	json_object_put(root);
}

static void note_passed_over(struct scan *s, int id, const char *type, const char *why)
{
	size_t used = strlen(s->passed_over);

	snprintf(s->passed_over + used, sizeof(s->passed_over) - used, "%stoken %d is %.32s: %s",
		 used ? "; " : "", id, type, why);
}

/* Token id's JSON, kept when luksvol can unlock with its type. */
static void consider(struct lv_device *dev, int id, const struct lv_token_unlock_params *p,
		     struct scan *s)
{
	struct candidate *c = &s->list[s->count];
	struct lv_err ignored;
	const char *why = NULL;

	if (lv_token_export(dev, id, &c->json, &ignored) < 0)
		return;
	token_type(c->json, c->type);
	c->ops = lv_unlocker_find(c->type, &why);
	if (p->token_type && strcmp(c->type, p->token_type) != 0) {
		free(c->json);
		return;
	}
	if (!c->ops) {
		note_passed_over(s, id, c->type, why);
		free(c->json);
		return;
	}
	c->id = id;
	s->count++;
}

static int scan_tokens(const char *path, const struct lv_token_unlock_params *p, struct scan *s,
		       struct lv_err *err)
{
	struct lv_device *dev = NULL;
	int r = lv_device_load(&dev, path, 0, err);

	if (r < 0)
		return r;
	for (int id = 0; id < LV_KEYSLOT_COUNT; id++)
		if (p->token_id == LV_ANY_SLOT || p->token_id == id)
			consider(dev, id, p, s);
	lv_device_free(&dev);
	if (s->count)
		return 0;
	/* cryptsetup's words for it, and why each token was passed over. */
	return lv_err_set(err, -ENOENT, "%s: No usable token is available%s%s%s", path,
			  s->passed_over[0] ? " (" : ".", s->passed_over,
			  s->passed_over[0] ? ")." : "");
}

/* The token's passphrase and keyslot, asking for its PIN when it needs one. */
static int fetch_passphrase(const struct candidate *c, const struct lv_token_unlock_params *p,
			    struct lv_secret **passphrase, int *keyslot, struct lv_err *err)
{
	struct lv_secret *pin = NULL;
	int r = c->ops->passphrase(c->json, p, NULL, passphrase, keyslot, err);

	if (r != -ENOANO || !p->ask_pin)
		return r;
	r = p->ask_pin(p->ask_ctx, c->id, c->type, &pin, err);
	if (r == 0)
		r = c->ops->passphrase(c->json, p, pin, passphrase, keyslot, err);
	lv_secret_free(&pin);
	return r;
}

/* One token: its passphrase, then its keyslot under a fresh load.  A
 * device that no longer loads ends the search (*fatal). */
static int try_token(const char *path, unsigned flags, const struct candidate *c,
		     const struct lv_token_unlock_params *p, struct lv_device **dev,
		     struct lv_secret **volume_key, int *keyslot, int *fatal, struct lv_err *err)
{
	struct lv_secret *passphrase = NULL;
	int r = fetch_passphrase(c, p, &passphrase, keyslot, err);

	*fatal = 0;
	if (r == 0) {
		r = lv_device_load(dev, path, flags, err);
		*fatal = r < 0;
	}
	if (r == 0) {
		r = lv_unlock(*dev, *keyslot, passphrase, volume_key, keyslot, err);
		if (r < 0)
			lv_device_free(dev);
	}
	lv_secret_free(&passphrase);
	return r;
}

int lv_token_open(const char *path, unsigned flags, const struct lv_token_unlock_params *params,
		  struct lv_device **dev, struct lv_secret **volume_key, int *keyslot,
		  int *token_id, struct lv_err *err)
{
	struct scan *s = calloc(1, sizeof(*s));
	int r, fatal = 0;
	size_t i;

	*dev = NULL;
	*volume_key = NULL;
	if (!s)
		return lv_err_set(err, -ENOMEM, "out of memory");
	r = scan_tokens(path, params, s, err);
	for (i = 0; r == 0 && i < s->count; i++) {
		struct lv_err tried_err = { 0 };
		int slot = -1;

		r = try_token(path, flags, &s->list[i], params, dev, volume_key, &slot, &fatal,
			      &tried_err);
		if (fatal) {
			if (err)
				*err = tried_err;
			break;
		}
		if (params->tried)
			params->tried(params->tried_ctx, s->list[i].id, s->list[i].type, slot, r,
				      &tried_err);
		if (r == 0) {
			*keyslot = slot;
			*token_id = s->list[i].id;
			break;
		}
		r = 0;
	}
	if (r == 0 && !*dev)
		r = lv_err_set(err, -EPERM, "%s: no token opened its keyslot (%zu tried)", path,
			       s->count);
	for (i = 0; i < s->count; i++)
		free(s->list[i].json);
	free(s);
	return r;
}
