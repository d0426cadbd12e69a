#!/usr/bin/env bash
# The network that reads the PSF against `galaxy fit` (given the exact PSF image and variance), in one run:
#   1. accuracy and coverage on the PSF-family test set (bench/make_psf_family_stamps.py: OpticalPSF with
#      random aberrations ⊗ Kolmogorov, a family the network never saw), with the fits from the moments
#      and from the network's estimate (`--start network`), their iterations, times and agreement;
#   2. the same network on the seed's GalSim test sets (PSF image from the file's Moffat) beside the
#      built-in specialists;
#   3. the same on the seed's PSF family (data_v3) and on the training family;
#   4. speed: `galaxy predict` against `galaxy fit` in galaxies/s on 10,000 stamps (the 2,000 five times).
#
#   bench/psf_network.sh [STAMPS_DIR (target/psf-family)] [OUT_DIR (target/psf-network)]
#
# STAMPS_DIR is made by `python3 bench/make_psf_family_stamps.py target/psf-family 2000 23` (GalSim and
# astropy: `source bench/galsim_venv.sh; galsim_venv astropy`). Times are whole commands, 2 threads.
set -euo pipefail
cd "$(dirname "$0")/.."
G=${GALAXY:-target/release/galaxy}
D=${1:-target/psf-family}
OUT=${2:-target/psf-network}
mkdir -p "$OUT"
fits=("$D/cube.fits" --psf "$D/psfs.fits" --psf-includes-pixel --variance "$D/variance.fits")

echo "== 1. the PSF-family test set ($D)"
"$G" predict "${fits[@]}" -o "$OUT/net.csv" 2>&1 | tee "$OUT/net.log"
"$G" fit "${fits[@]}" -o "$OUT/fit.csv" 2>&1 | tee "$OUT/fit.log"
"$G" fit "${fits[@]}" --start network -o "$OUT/fit_net.csv" 2>&1 | tee "$OUT/fit_net.log"
python3 bench/psf_network_table.py "$D/stamps.npz" network="$OUT/net.csv" \
    fit_from_network="$OUT/fit_net.csv" fit="$OUT/fit.csv"

echo "== 2. the seed's GalSim test sets"
for set in snr60:crates/galaxy-data/tests/fixtures/galsim_snr60_compressed.npz \
    snr30:crates/galaxy-cli/tests/fixtures/galsim_snr30_compressed.npz; do
    name=${set%%:*} file=${set#*:}
    "$G" predict "$file" --builtin psf -o "$OUT/$name-psf.csv" 2>&1 | tail -1
    "$G" predict "$file" -o "$OUT/$name-specialist.csv" 2>&1 | tail -1
    echo "-- $name, the network that reads the PSF"
    "$G" evaluate "$OUT/$name-psf.csv" --truth "$file"
    echo "-- $name, the built-in specialist"
    "$G" evaluate "$OUT/$name-specialist.csv" --truth "$file"
done

echo "== 3. the seed's PSF family and the training family (2,000 of ours each)"
"$G" generate --preset data_v3 --continuous-n --size 2000 --seed 991 -o "$OUT/seed_family.npz" 2>&1 | tail -1
"$G" predict "$OUT/seed_family.npz" --builtin psf -o "$OUT/seed_family-psf.csv" 2>&1 | tail -1
"$G" predict "$OUT/seed_family.npz" -o "$OUT/seed_family-specialist.csv" 2>&1 | tail -1
"$G" fit "$OUT/seed_family.npz" -o "$OUT/seed_family-fit.csv" 2>&1 | tail -1
for who in psf specialist fit; do
    echo "-- the seed's family (data_v3: Moffat beta 2, FWHM 0.5-1.0\", sigma 200-400, centred), $who"
    "$G" evaluate "$OUT/seed_family-$who.csv" --truth "$OUT/seed_family.npz"
done
"$G" generate --preset data_v3 --continuous-n --psf-family --lopsided-psfs --size 2000 --seed 992 \
    -o "$OUT/train_family.npz" 2>&1 | tail -1
python3 - "$OUT" <<'PY'
import sys
import numpy as np
from astropy.io import fits
out = sys.argv[1]
d = np.load(f"{out}/train_family.npz")
wcs = fits.Header()
wcs["CDELT1"], wcs["CDELT2"] = -0.23 / 3600, 0.23 / 3600
fits.writeto(f"{out}/train_cube.fits", d["img"].astype(np.float64), wcs, overwrite=True)
fits.writeto(f"{out}/train_psfs.fits", d["psf_img"].astype(np.float64), overwrite=True)
variance = d["sigma"][:, None, None].astype(np.float64) ** 2 + np.clip(d["img_nonoise"], 0, None)
fits.writeto(f"{out}/train_variance.fits", variance, wcs, overwrite=True)
PY
train=("$OUT/train_cube.fits" --psf "$OUT/train_psfs.fits" --psf-includes-pixel --variance "$OUT/train_variance.fits")
"$G" predict "${train[@]}" -o "$OUT/train_family-psf.csv" 2>&1 | tail -1
"$G" fit "${train[@]}" -o "$OUT/train_family-fit.csv" 2>&1 | tail -1
echo "-- the training family (lopsided PSFs), network and fit"
python3 bench/psf_network_table.py "$OUT/train_family.npz" network="$OUT/train_family-psf.csv" \
    fit="$OUT/train_family-fit.csv"

echo "== 4. speed on 10,000 stamps (the 2,000 five times)"
python3 - "$D" "$OUT" <<'PY'
import sys
import numpy as np
from astropy.io import fits
d, out = sys.argv[1], sys.argv[2]
for name in ["cube", "psfs", "variance"]:
    with fits.open(f"{d}/{name}.fits") as f:
        fits.writeto(f"{out}/{name}10k.fits", np.concatenate([f[0].data] * 5), f[0].header, overwrite=True)
PY
big=("$OUT/cube10k.fits" --psf "$OUT/psfs10k.fits" --psf-includes-pixel --variance "$OUT/variance10k.fits")
t0=$(date +%s.%N)
"$G" predict "${big[@]}" -o "$OUT/net10k.csv" 2>&1 | tail -1
t1=$(date +%s.%N)
"$G" fit "${big[@]}" -o "$OUT/fit10k.csv" 2>&1 | tail -1
t2=$(date +%s.%N)
python3 -c "
p, f = $t1 - $t0, $t2 - $t1
print(f'predict {p:.1f} s ({10000 / p:.0f} galaxies/s), fit {f:.1f} s ({10000 / f:.1f} galaxies/s): predict is {f / p:.0f}x faster')"
rm -f "$OUT"/cube10k.fits "$OUT"/psfs10k.fits "$OUT"/variance10k.fits
