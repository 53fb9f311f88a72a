/* args: the flag parser every subcommand uses.
 * Flags are "--name value" or "--name=value"; booleans are "--name". Unknown flags, missing values
 * and bad numbers get one line on stderr ("nudge gen: --episodes: expected an integer >= 1, got
 * 'x'") and the command exits 2. */
#ifndef NUDGE_APP_ARGS_H
#define NUDGE_APP_ARGS_H
#include <stdbool.h>
#include <stdint.h>

typedef enum ArgKind { ARG_BOOL, ARG_STRING, ARG_INT, ARG_U64, ARG_DOUBLE } ArgKind;

typedef struct ArgSpec {
    const char* name;     /* without the dashes: "episodes" */
    ArgKind     kind;
    void*       out;      /* bool*, const char**, int64_t*, uint64_t*, double* */
    double      lo, hi;   /* inclusive range for numbers (ignored when lo > hi) */
    const char* help;     /* one line for --help; "VALUE: text" (colon, space) names the value */
    bool        seen;     /* set by the parser */
} ArgSpec;

typedef struct ArgParse {
    const char* cmd;          /* "gen" */
    const char* usage;        /* "nudge gen --scenario FILE|DIR --episodes N ..." */
    const char* about;        /* one paragraph */
    ArgSpec*    specs;
    int         nspecs;
    const char** positional;  /* the arguments that are not flags, in order (gathered at the front of
                                 argv, so there may be as many as the command line holds) */
    int         npositional;
    int         max_positional;
} ArgParse;

/// parses argv[1..argc) (argv[0] is the subcommand); returns 0 to go on, 1 when --help was printed
/// (exit 0), 2 on bad input (the line is printed; exit 2)
int  args_parse(ArgParse* p, int argc, char** argv);
/// prints the usage and flag table to stdout
void args_help(const ArgParse* p);
/// the spec called name (for .seen checks)
const ArgSpec* args_spec(const ArgParse* p, const char* name);
/// "1280x720" -> *w, *h within lo..hi each; false when malformed or out of range
bool args_parse_size(const char* s, int lo, int hi, int* w, int* h);
/// true when paths a and b name the same regular file (the same device and inode, through links
/// and other spellings), or, when neither exists yet, would create the same one; false for NULL
bool args_same_file(const char* a, const char* b);
/// false + one line on stderr ("nudge run: --trace x.scn is also the scenario: it would be
/// overwritten") when the output path out names the same regular file as the input path in (through
/// links and other spellings of the path); true otherwise, and when either is NULL or does not exist
bool args_output_not_input(const char* cmd, const char* flag, const char* out, const char* what, const char* in);
/// false + one line ("nudge run: --trace x and --record x name the same file") when two of the n
/// outputs (flag, path; a NULL path is not given) would write one file; true otherwise
bool args_outputs_distinct(const char* cmd, const char* (*outs)[2], int n);
/// false + one line ("nudge train: --out d/manifest.json is inside the dataset d: it could overwrite
/// the dataset's files") when the output path out lies inside one of the folders of dirs (a folder,
/// or several joined by commas as --data takes them; the ones that are not folders are skipped),
/// through links and other spellings; true otherwise and when either is NULL
bool args_output_outside(const char* cmd, const char* flag, const char* out, const char* dirs);
/// one line "nudge CMD: message" on stderr; returns 2 for `return args_fail(...)`
int  args_fail(const char* cmd, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
