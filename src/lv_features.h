/* SPDX-License-Identifier: ISC */
/*
 * lv_features.h: the optional features of this build (Makefile WITH_TPM,
 * WITH_KMS, WITH_CLEVIS, WITH_YAML, WITH_BLKID; README.md "Build").  The Makefile
 * passes each as -DLV_WITH_X=0|1; a compile without it builds everything.
 */
#ifndef LV_FEATURES_H
#define LV_FEATURES_H

#ifndef LV_WITH_TPM
#define LV_WITH_TPM 1
#endif
#ifndef LV_WITH_KMS
#define LV_WITH_KMS 1
#endif
#ifndef LV_WITH_CLEVIS
#define LV_WITH_CLEVIS 1
#endif
#ifndef LV_WITH_YAML
#define LV_WITH_YAML 1
#endif
#ifndef LV_WITH_BLKID
#define LV_WITH_BLKID 1
#endif

#endif
