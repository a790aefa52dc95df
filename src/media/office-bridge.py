#!/usr/bin/env python3
"""switchpost's bridge to a long-lived LibreOffice listener (src/media/office.ts starts both).

Connects over UNO to the soffice started with --accept=pipe,name=<argv[1]>, then converts one
document per line of stdin: {"in": path, "out": path, "filter": import filter} -> one line on stdout, {"ok": true} or
{"error": "..."}. Documents open hidden, read only, with macros never run and links never updated;
a document that asks for a password fails to load and is reported as such. Any UNO failure that
means the listener is gone ends this process: Node restarts the pair.
"""
import json
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.lang import DisposedException
from com.sun.star.uno import RuntimeException


def props(**kw):
    out = []
    for k, v in kw.items():
        p = PropertyValue()
        p.Name, p.Value = k, v
        out.append(p)
    return tuple(out)


def connect(pipe, seconds=60):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + seconds
    while True:
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except NoConnectException:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


# The PDF export filter for each kind of document LibreOffice may have opened.
FILTERS = (
    ("com.sun.star.text.GenericTextDocument", "writer_pdf_Export"),
    ("com.sun.star.sheet.SpreadsheetDocument", "calc_pdf_Export"),
    ("com.sun.star.presentation.PresentationDocument", "impress_pdf_Export"),
    ("com.sun.star.drawing.DrawingDocument", "draw_pdf_Export"),
)


def convert(desktop, src, dst, import_filter):
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(src), "_blank", 0,
        # The import filter of the type the client named: a file that is something else fails to load
        # instead of being guessed (LibreOffice would import unknown bytes as plain text).
        # MacroExecutionMode 0 = NEVER_EXECUTE; UpdateDocMode 0 = NO_UPDATE (no external links fetched).
        props(FilterName=import_filter, Hidden=True, ReadOnly=True, MacroExecutionMode=0, UpdateDocMode=0, RepairPackage=False),
    )
    if doc is None:
        return {"error": "could not be opened (corrupt, encrypted or not an office document)"}
    try:
        name = next((f for service, f in FILTERS if doc.supportsService(service)), None)
        if name is None:
            return {"error": "is not a text, spreadsheet or presentation document"}
        doc.storeToURL(uno.systemPathToFileUrl(dst), props(FilterName=name))
        return {"ok": True}
    finally:
        try:
            doc.close(True)
        except Exception:
            doc.dispose()


def main():
    desktop = connect(sys.argv[1])
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            res = convert(desktop, req["in"], req["out"], req["filter"])
        except (DisposedException, RuntimeException) as e:
            # The listener died or hung up: report, then exit so that Node restarts both.
            print(json.dumps({"error": "LibreOffice stopped: %s" % e.Message[:200], "fatal": True}), flush=True)
            sys.exit(3)
        except Exception as e:
            msg = getattr(e, "Message", None) or str(e)
            res = {"error": "could not be opened (corrupt, encrypted or not an office document): %s" % msg[:200]}
        print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
