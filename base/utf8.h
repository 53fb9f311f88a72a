/* utf8: text nudge writes into formats that must be UTF-8 (JUnit XML, a dataset's manifest.json)
 * from names that need not be (file names are bytes). */
#ifndef NUDGE_BASE_UTF8_H
#define NUDGE_BASE_UTF8_H

/// the length of the well-formed UTF-8 character at s, whose first byte is >= 0x80, that XML and
/// JSON readers take (2 to 4 bytes); 0 for a stray byte, an overlong form, a surrogate, U+FFFE,
/// U+FFFF or a value beyond U+10FFFF
int   utf8_char_length(const unsigned char* s);
/// a malloc'd copy of s with every byte that does not start such a character (nor is ASCII)
/// replaced by U+FFFD
char* utf8_sanitized_dup(const char* s);

#endif
