"""Tiny inline SVG body maps: one outline per body part, the nerve territory highlighted.

Drawings are for the RIGHT side as the patient sees it (thumb and outer leg on the right,
head seen from behind); the left side is the same drawing mirrored.
"""

from __future__ import annotations

from html import escape

from surveys.catalogue import get_region

_HAND = (
    '<rect x="30" y="55" width="40" height="42" rx="8"/>'
    '<rect x="30" y="32" width="9" height="28" rx="4"/>'
    '<rect x="40" y="20" width="9" height="40" rx="4"/>'
    '<rect x="50" y="14" width="9" height="46" rx="4"/>'
    '<rect x="60" y="20" width="9" height="40" rx="4"/>'
    '<path d="M68 82L86 60L93 66L74 94Z"/>'
)
_THUMB_INDEX_MIDDLE = (
    '<path d="M68 82L86 60L93 66L74 94Z"/>'
    '<rect x="60" y="20" width="9" height="40" rx="4"/>'
    '<rect x="50" y="14" width="9" height="46" rx="4"/>'
)
_FOREARM = '<path d="M34 6H66L60 92H42Z"/><rect x="40" y="92" width="22" height="22" rx="6"/>'
_LEG = '<path d="M34 4H66L60 92H42Z"/><path d="M42 92H60L74 112H40Z"/>'
_FOOT_BODY = '<path d="M30 30Q50 20 70 28L64 100Q62 114 50 114Q38 114 36 100Z"/>'
_TOES = (
    '<circle cx="38" cy="18" r="7"/><circle cx="49" cy="14" r="4"/>'
    '<circle cx="57" cy="15" r="4"/><circle cx="64" cy="18" r="3.5"/>'
    '<circle cx="69" cy="23" r="3"/>'
)
_THIGH = '<path d="M28 4H72L64 112H40Z"/>'
_HEAD = (
    '<rect x="38" y="78" width="24" height="32"/><ellipse cx="50" cy="48" rx="30" ry="36"/>'
    '<ellipse cx="20" cy="52" rx="5" ry="10"/><ellipse cx="80" cy="52" rx="5" ry="10"/>'
)

# map_area -> (outline, seen from the other face so drawn mirrored, highlighted territory)
AREAS: dict[str, tuple[str, bool, str]] = {
    "hand-median": (
        _HAND,
        False,
        _THUMB_INDEX_MIDDLE + '<rect x="45" y="20" width="4" height="40"/>'
        '<rect x="45" y="55" width="25" height="32" rx="4"/>',
    ),
    "hand-ulnar": (
        _HAND,
        False,
        '<rect x="30" y="32" width="9" height="28" rx="4"/>'
        '<rect x="40" y="20" width="5" height="40" rx="2"/>'
        '<rect x="30" y="55" width="15" height="42" rx="6"/>',
    ),
    "hand-back-radial": (
        _HAND,
        True,
        _THUMB_INDEX_MIDDLE + '<rect x="50" y="55" width="20" height="30" rx="4"/>',
    ),
    "forearm-medial": (_FOREARM, False, '<path d="M34 6H50V92H42Z"/>'),
    "leg-sciatic": (_LEG, False, '<path d="M42 4H66L60 92H46Z"/><path d="M42 92H60L74 112H40Z"/>'),
    "leg-lateral": (_LEG, False, '<path d="M55 4H66L60 92H53Z"/>'),
    "leg-superficial-fibular": (
        _LEG,
        False,
        '<path d="M50 50H63L60 92H48Z"/><path d="M46 92H60L72 110H46Z"/>',
    ),
    "foot-top": (
        _FOOT_BODY + _TOES,
        False,
        '<path d="M32 30Q50 21 62 26L58 100Q56 110 50 110Q40 110 38 100Z"/>' + _TOES,
    ),
    "foot-sole": (_FOOT_BODY + _TOES, True, _FOOT_BODY),
    "thigh-anterolateral": (_THIGH, False, '<path d="M52 12H70L64 104H54Z"/>'),
    "head-greater-occipital": (_HEAD, False, '<path d="M50 12Q78 16 78 50L70 80H50Z"/>'),
    "head-lesser-occipital": (_HEAD, False, '<ellipse cx="72" cy="54" rx="7" ry="14"/>'),
}

_MIRROR = ' transform="matrix(-1 0 0 1 100 0)"'


def render_body_map_svg(region_code: str, label: str | None = None) -> str:
    """Return a small inline SVG of the region's body part with its territory highlighted,
    named by `label` (the page's words for the region; default: the English label)."""
    region = get_region(region_code)
    outline, other_face, highlight = AREAS[region.map_area]
    label = escape(label or region.patient_label, quote=True)
    side_mirror = _MIRROR if region.side == "left" else ""
    face_mirror = _MIRROR if other_face else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 120" role="img" '
        f'aria-label="{label}" data-area="{region.map_area}" data-side="{region.side}">'
        f"<title>{label}</title>"
        f"<g{side_mirror}><g{face_mirror}>"
        f'<g fill="#f2efe9" stroke="#555" stroke-width="1.5">{outline}</g>'
        f'<g fill="#d9480f" fill-opacity=".75">{highlight}</g>'
        "</g></g></svg>"
    )
