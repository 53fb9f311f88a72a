/* keeps a folder library non-empty while its folder has no sources yet */
typedef int nudge_empty_unit;
