#!/usr/bin/env bash
# Render the bundled sample show under episodes/ with text-to-speech.
#
# For every episodes/*/script.txt this speaks each paragraph with espeak-ng
# (HOST and GUEST get different voices), joins the paragraphs with 0.6 s of
# silence and encodes the result to the file named by `audio = "..."` in that
# folder's episode.toml (.mp3 -> libmp3lame, .m4a -> native aac). Each
# paragraph's start time is printed so the [[chapters]] in episode.toml can be
# checked against the audio. It also renders episodes/cover.jpg if it is missing.
#
# Output is reproducible (sox -R -D: no random dither, so the gaps are true
# digital silence; ffmpeg: no metadata, +bitexact), so running it again gives
# the same bytes; a file whose bytes did not change is left untouched.
#
# Usage: scripts/render_sample.sh [EPISODES_DIR]     (default: episodes)
#
# script.txt format: paragraphs separated by blank lines; the first line of a
# paragraph is a speaker label (HOST: or GUEST:), the rest is spoken.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EPISODES="${1:-$ROOT/episodes}"

RATE=22050          # Hz, mono
GAP=0.6             # seconds of silence between paragraphs
# espeak-ng settings per speaker label: voice, pitch (0-99), speed (words/min)
HOST_VOICE=en-us;        HOST_PITCH=50;  HOST_SPEED=165
GUEST_VOICE=en-gb-x-rp;  GUEST_PITCH=32; GUEST_SPEED=160

die() { echo "render_sample: error: $*" >&2; exit 1; }

missing=()
for tool in espeak-ng sox soxi ffmpeg ffprobe; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    die "required tool(s) not found on PATH: ${missing[*]}
  install them first, e.g. on Debian/Ubuntu: apt-get install espeak-ng sox ffmpeg"
fi
[[ -d "$EPISODES" ]] || die "no episodes directory at $EPISODES"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/render_sample.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

BITEXACT=(-map_metadata -1 -fflags +bitexact -flags:a +bitexact)

# Move $1 onto $2 unless $2 already has the same bytes.
install_if_changed() {
    if [[ -f "$2" ]] && cmp -s "$1" "$2"; then
        rm -f "$1"
        echo "  unchanged: $2"
    else
        mv -f "$1" "$2"
        echo "  wrote: $2 ($(stat -c %s "$2") bytes)"
    fi
}

# Seconds -> H:MM:SS.ss / M:SS.ss
fmt_time() {
    awk -v t="$1" 'BEGIN {
        h = int(t / 3600); m = int((t - h * 3600) / 60); s = t - h * 3600 - m * 60
        if (h > 0) printf "%d:%02d:%05.2f", h, m, s; else printf "%d:%05.2f", m, s }'
}

encode() {  # encode WAV $1 to $2 (format from extension) via a temp file
    local in="$1" out="$2" ext tmp
    ext="${out##*.}"; ext="${ext,,}"
    tmp="$(dirname "$out")/.$(basename "$out").tmp.$$.$ext"
    case "$ext" in
        mp3)
            if ! ffmpeg -nostdin -hide_banner -loglevel error -y -i "$in" "${BITEXACT[@]}" \
                    -codec:a libmp3lame -b:a 48k -ac 1 -ar "$RATE" "$tmp"; then
                echo "  libmp3lame refused ${RATE} Hz, retrying at 44100 Hz" >&2
                ffmpeg -nostdin -hide_banner -loglevel error -y -i "$in" "${BITEXACT[@]}" \
                    -codec:a libmp3lame -b:a 48k -ac 1 -ar 44100 "$tmp" \
                    || { rm -f "$tmp"; die "ffmpeg (libmp3lame) failed for $out"; }
            fi ;;
        m4a|mp4|aac)
            ffmpeg -nostdin -hide_banner -loglevel error -y -i "$in" "${BITEXACT[@]}" \
                -c:a aac -b:a 48k -ac 1 -ar "$RATE" -f mp4 "$tmp" \
                || { rm -f "$tmp"; die "ffmpeg (aac) failed for $out"; } ;;
        *) die "unsupported audio extension '.$ext' for $out (use .mp3 or .m4a)" ;;
    esac
    install_if_changed "$tmp" "$out"
}

render_episode() {
    local dir="$1" script="$1/script.txt" toml="$1/episode.toml" audio work
    [[ -f "$toml" ]] || die "$toml is missing"
    audio="$(sed -n 's/^[[:space:]]*audio[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$toml" | head -n1)"
    [[ -n "$audio" ]] || die "no audio = \"...\" line in $toml"
    [[ "$audio" != */* ]] || die "audio in $toml must be a bare file name, got '$audio'"

    work="$WORK/$(basename "$dir")"
    mkdir -p "$work"
    echo "== $(basename "$dir") -> $audio"

    # Split into paragraphs: p001.label + p001.txt, ...
    awk -v out="$work" '
        BEGIN { RS = ""; FS = "\n" }
        {
            n++
            label = $1; sub(/^[[:space:]]+/, "", label); sub(/[[:space:]]*:[[:space:]]*$/, "", label)
            text = ""
            for (i = 2; i <= NF; i++) text = text (i > 2 ? " " : "") $i
            f = sprintf("%s/p%03d", out, n)
            print toupper(label) > (f ".label"); close(f ".label")
            print text > (f ".txt"); close(f ".txt")
        }' "$script"

    local parts=() label voice pitch speed t=0 dur i=0 p
    sox -R -D -n -r "$RATE" -c 1 -b 16 "$work/gap.wav" trim 0 "$GAP"
    for p in "$work"/p*.txt; do
        i=$((i + 1))
        label="$(cat "${p%.txt}.label")"
        case "$label" in
            HOST)  voice=$HOST_VOICE;  pitch=$HOST_PITCH;  speed=$HOST_SPEED ;;
            GUEST) voice=$GUEST_VOICE; pitch=$GUEST_PITCH; speed=$GUEST_SPEED ;;
            *) die "$script paragraph $i: speaker label must be HOST: or GUEST:, got '$label:'" ;;
        esac
        [[ -s "$p" && "$(tr -d '[:space:]' < "$p")" != "" ]] \
            || die "$script paragraph $i ($label) has no text"
        espeak-ng -v "$voice" -p "$pitch" -s "$speed" -f "$p" -w "${p%.txt}.raw.wav"
        sox -R -D "${p%.txt}.raw.wav" -r "$RATE" -c 1 -b 16 "${p%.txt}.wav"
        ((i > 1)) && parts+=("$work/gap.wav") && t="$(awk -v t="$t" -v g="$GAP" 'BEGIN { printf "%.3f", t + g }')"
        dur="$(soxi -D "${p%.txt}.wav")"
        printf '  paragraph %2d  %-5s  start %9s  (%7.3f s)  duration %6.3f s\n' \
            "$i" "$label" "$(fmt_time "$t")" "$t" "$dur"
        parts+=("${p%.txt}.wav")
        t="$(awk -v t="$t" -v d="$dur" 'BEGIN { printf "%.3f", t + d }')"
    done
    ((i > 0)) || die "$script has no paragraphs"

    sox -R -D "${parts[@]}" "$work/episode.wav"
    echo "  total (wav)  $(fmt_time "$(soxi -D "$work/episode.wav")")"
    encode "$work/episode.wav" "$dir/$audio"
    echo "  encoded      $(fmt_time "$(ffprobe -v error -show_entries format=duration \
        -of default=noprint_wrappers=1:nokey=1 "$dir/$audio")")"
}

render_cover() {
    local out="$EPISODES/cover.jpg" tmp font="" q text=""
    if [[ -f "$out" ]]; then
        echo "== cover: $out exists, leaving it alone"
        return
    fi
    # A bold sans font for the title, if one is installed.
    if command -v fc-list >/dev/null 2>&1; then
        font="$(fc-list : file 2>/dev/null | sed 's/:[[:space:]]*$//' \
            | grep -E '^/usr/share/fonts/.*(Sans|sans).*Bold\.(ttf|otf)$' | sort | head -n1 || true)"
    fi
    if [[ -z "$font" ]]; then
        font="$(find /usr/share/fonts -type f \( -name '*.ttf' -o -name '*.otf' \) 2>/dev/null \
            | sort | head -n1 || true)"
    fi

    # Dark navy field, a thin amber frame, a "radar" of concentric rings with a
    # crosshair, and the title underneath.
    local rings="if(lt(abs(mod(hypot(X-1500,Y-1320),260)-130),7)*lt(hypot(X-1500,Y-1320),1060),1,0)"
    local cross="if(lt(hypot(X-1500,Y-1320),1060)*(lt(abs(X-1500),5)+lt(abs(Y-1320),5)),1,0)"
    local dot="lt(hypot(X-1500,Y-1320),48)"
    local fg="max(max($rings,$cross),$dot)"
    local vf="format=gbrp,geq=r='if($fg,232,11)':g='if($fg,170,26)':b='if($fg,60,51)'"
    vf+=",drawbox=x=90:y=90:w=2820:h=2820:color=0xE8AA3C:t=14"
    if [[ -n "$font" ]]; then
        text=",drawtext=fontfile='$font':text='WARCAST':fontcolor=white:fontsize=380"
        text+=":x=(w-text_w)/2:y=2480-text_h/2"
        echo "== cover: rendering $out (font: $font)"
    else
        echo "== cover: rendering $out (no font found under /usr/share/fonts, no title text)"
    fi
    tmp="$EPISODES/.cover.jpg.tmp.$$.jpg"
    for q in 3 5 8 12 18 25; do
        ffmpeg -nostdin -hide_banner -loglevel error -y \
            -f lavfi -i "color=c=0x0B1A33:s=3000x3000:d=1,format=rgb24" \
            -vf "$vf$text,format=yuvj420p" -frames:v 1 -q:v "$q" \
            -map_metadata -1 -fflags +bitexact -flags +bitexact "$tmp" \
            || { rm -f "$tmp"; die "ffmpeg failed to render the cover"; }
        (($(stat -c %s "$tmp") < 500000)) && break
    done
    (($(stat -c %s "$tmp") < 500000)) || { rm -f "$tmp"; die "cover stays over 500 KB"; }
    mv -f "$tmp" "$out"
    echo "  wrote: $out ($(stat -c %s "$out") bytes, q=$q)"
}

shopt -s nullglob
scripts=("$EPISODES"/*/script.txt)
((${#scripts[@]})) || die "no $EPISODES/*/script.txt found"
for s in "${scripts[@]}"; do
    render_episode "$(dirname "$s")"
done
render_cover
