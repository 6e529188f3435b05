#!/bin/sh
# dict_for.sh TARGET: the libFuzzer/AFL++ dictionary of a fuzz target.
case $1 in
config_yaml) echo fuzz/dict/yaml.dict ;;
meta_adv) echo fuzz/dict/meta.dict ;;
kms_wire) echo fuzz/dict/kms.dict ;;
tpm_token | tpm_pcrsig | systemd_tpm2_token) echo fuzz/dict/tpm.dict ;;
clevis_token | tang_adv) echo fuzz/dict/clevis.dict ;;
*) echo fuzz/dict/luks2.dict ;;
esac
