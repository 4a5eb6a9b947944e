"""A picture content control gets an image, scaled into the control's box, aspect kept."""

from __future__ import annotations

import io

from docx.image.image import Image
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.package import Package
from lxml import etree

from docshelf.documents import controls
from docshelf.documents.model import DocumentError
from docshelf.documents.ooxml import PIC, WP, A, R, w
from docshelf.i18n import tr

_EMU_PER_INCH = 914_400
# A control without a picture to replace gets one this wide at most (5 cm).
_DEFAULT_WIDTH = 1_800_000


def image_of(blob: bytes, what: str) -> Image:
    try:
        return Image.from_blob(blob)
    except Exception as exc:  # the image reader raises many kinds for a bad file
        raise DocumentError(
            tr(
                "The picture for {what} is not an image docshelf can place ({error}). "
                "Replace it with a PNG or JPEG file.",
                what=what,
                error=type(exc).__name__,
            )
        ) from exc


def fit(box: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the image's aspect that fits the box (EMU)."""
    (box_w, box_h), (img_w, img_h) = box, size
    if box_w <= 0 or box_h <= 0 or img_w <= 0 or img_h <= 0:
        return size
    if img_w * box_h >= img_h * box_w:  # wider than the box: its width rules
        return box_w, max(1, round(box_w * img_h / img_w))
    return max(1, round(box_h * img_w / img_h)), box_h


def natural_size(image: Image) -> tuple[int, int]:
    width = round(image.px_width * _EMU_PER_INCH / (image.horz_dpi or 96))
    height = round(image.px_height * _EMU_PER_INCH / (image.vert_dpi or 96))
    return width, height


def put_image(sdt: etree._Element, blob: bytes, what: str, part: Part, package: Package) -> None:
    image = image_of(blob, what)
    image_part = package.get_or_add_image_part(io.BytesIO(blob))
    rid = part.relate_to(image_part, RT.IMAGE)
    drawing = controls.content_of(sdt).find(f".//{w('drawing')}")
    if drawing is None or drawing.find(f".//{{{A}}}blip") is None:
        size = fit((_DEFAULT_WIDTH, _DEFAULT_WIDTH), natural_size(image))
        _new_picture(sdt, rid, size)
    else:
        _replace_picture(drawing, rid, natural_size(image))
        controls.clear_placeholder(sdt)


def _replace_picture(drawing: etree._Element, rid: str, size: tuple[int, int]) -> None:
    blip = drawing.find(f".//{{{A}}}blip")
    assert blip is not None
    blip.set(f"{{{R}}}embed", rid)
    extent = drawing.find(f".//{{{WP}}}extent")
    if extent is None:
        return
    box = (int(extent.get("cx", "0")), int(extent.get("cy", "0")))
    cx, cy = fit(box, size)
    extent.set("cx", str(cx))
    extent.set("cy", str(cy))
    ext = drawing.find(f".//{{{PIC}}}spPr/{{{A}}}xfrm/{{{A}}}ext")
    if ext is not None:
        ext.set("cx", str(cx))
        ext.set("cy", str(cy))


_INLINE = f"""<w:drawing xmlns:w="{{w}}" xmlns:wp="{WP}" xmlns:a="{A}" xmlns:pic="{PIC}"
 xmlns:r="{R}"><wp:inline distT="0" distB="0" distL="0" distR="0">
<wp:extent cx="{{cx}}" cy="{{cy}}"/><wp:docPr id="{{id}}" name="{{name}}"/>
<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">
<pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="{{name}}"/><pic:cNvPicPr/></pic:nvPicPr>
<pic:blipFill><a:blip r:embed="{{rid}}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>
<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{{cx}}" cy="{{cy}}"/></a:xfrm>
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData>
</a:graphic></wp:inline></w:drawing>"""


def _new_picture(sdt: etree._Element, rid: str, size: tuple[int, int]) -> None:
    root = sdt.getroottree().getroot()
    taken = [
        int(d.get("id", "0")) for d in root.iter(f"{{{WP}}}docPr") if d.get("id", "").isdigit()
    ]
    xml = _INLINE.format(
        w="http://schemas.openxmlformats.org/wordprocessingml/2006/main",
        cx=size[0],
        cy=size[1],
        id=max(taken, default=0) + 1,
        name="Picture",
        rid=rid,
    )
    run = etree.Element(w("r"))
    run.append(etree.fromstring(xml))
    if controls.is_block(sdt):
        p = etree.Element(w("p"))
        ppr = controls.para_props(sdt)
        if ppr is not None:
            p.append(ppr)
        p.append(run)
        controls.replace(sdt, [p])
    else:
        controls.replace(sdt, [run])
