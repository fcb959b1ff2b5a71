"""Adapters: the source systems' own wire formats (DVCQG syncs, edXML, 3GPP measCollec, VES) turned
into contract records that then take the sources' validation path (wire-formats.md)."""
