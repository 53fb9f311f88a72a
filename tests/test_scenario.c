/* tests for the scenario language: the parser's error table (exact line:col and message), parsing
 * and instantiation (expressions, parameters from the seed, 'if' bodies, actions, agent), loading
 * files, robustness against mangled input, and the expectation checker on tiny worlds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ensure.h"
#include "base/rng.h"
#include "sim/materials.h"
#include "sim/scenario.h"
#include "sim/world.h"


/* ---- the error table ---- */

typedef struct BadCase {
    const char* what;
    const char* text;
    size_t      len;    /* 0: strlen(text) */
    int         line, col;
    const char* phrase; /* must appear in the message */
} BadCase;

#define BODY "body b box wood pos 0 1 size 0.2 0.2\n"

static const BadCase bad_cases[] = {
    {"unknown keyword", "bogus 1 2\n" BODY, 0, 1, 1, "expected a statement"},
    {"keyword in upper case", BODY "Body c box wood pos 0 1 size 1 1\n", 0, 2, 1, "got 'Body'"},
    {"unknown body in an action", BODY "at 0.5 push zz 1 0\n", 0, 2, 13, "unknown body 'zz'"},
    {"unknown body in an expectation", BODY "expect by 1 zz broken\n", 0, 2, 13, "unknown body 'zz'"},
    {"unknown body in a field condition", BODY "expect at 1 q.x < 1\n", 0, 2, 13, "unknown body 'q'"},
    {"unknown body in an order", BODY "expect order fall b zz\n", 0, 2, 21, "unknown body 'zz'"},
    {"unknown body in a then", BODY "expect when b.y < 0.5 then c.x near 0 1\n", 0, 2, 28, "unknown body 'c'"},
    {"duplicate body", BODY "body b ball rubber pos 0 2 radius 0.1\n", 0, 2, 6, "duplicate body 'b'"},
    {"duplicate param", "param a uniform 0 1\nparam a int 1 2\n" BODY, 0, 2, 7, "duplicate param 'a'"},
    {"duplicate world setting", "world dt 0.01\nworld dt 0.02\n" BODY, 0, 2, 7, "first at line 1"},
    {"second agent line", BODY "agent none\nagent random\n", 0, 3, 1, "one agent line"},
    {"unknown material", "body b box cheese pos 0 1 size 1 1\n", 0, 1, 12, "expected a material"},
    {"unknown kind", "body b blob wood pos 0 1 size 1 1\n", 0, 1, 8, "expected a body kind"},
    {"shard is not declarable", "body b shard glass pos 0 1 size 1 1\n", 0, 1, 8, "shards come only"},
    {"zero size", "body b box wood pos 0 1 size 0 1\n", 0, 1, 30, "expected a width in (0"},
    {"negative size", "body b box wood pos 0 1 size 1 -2\n", 0, 1, 32, "got -2"},
    {"negative radius", "body b ball rubber pos 0 1 radius -0.05\n", 0, 1, 35, "expected a radius"},
    {"radius on a box", "body b box wood pos 0 1 radius 1\n", 0, 1, 25, "radius is for balls"},
    {"unequal ball size", "body b ball rubber pos 0 1 size 1 2\n", 0, 1, 35, "equal"},
    {"nan literal", "world gravity nan -9.81\n" BODY, 0, 1, 15, "nan and inf"},
    {"inf literal", "world dt inf\n" BODY, 0, 1, 10, "got 'inf'"},
    {"huge literal", "world dt 1e999\n" BODY, 0, 1, 10, "expected a finite number, got '1e999'"},
    {"division by zero", "world dt 1/0\n" BODY, 0, 1, 11, "division by zero"},
    {"division by zero over params", "param a uniform 0 1\nbody b box wood pos 0 (1/($a-$a)) size 1 1\n",
     0, 2, 25, "division by zero"},
    {"sqrt of a negative", "world dt sqrt(-1)\n" BODY, 0, 1, 10, "sqrt of a number >= 0"},
    {"body without pos", "body b box wood size 1 1\n", 0, 1, 25, "expected 'pos X Y'"},
    {"body without size", "body b box wood pos 0 1\n", 0, 1, 24, "expected 'size W H'"},
    {"ball without radius", "body b ball rubber pos 0 1\n", 0, 1, 27, "radius R"},
    {"pos with one number", "body b box wood pos 0\n", 0, 1, 22, "expected pos Y (m), got end of line"},
    {"push without impulse", BODY "at 1 push b\n", 0, 2, 12, "expected an impulse JX"},
    {"push with half an impulse", BODY "at 1 push b 1\n", 0, 2, 14, "expected an impulse JY"},
    {"at without push", BODY "at 1 shove b 1 0\n", 0, 2, 6, "expected an action (push, grab, release, spawn, or magic: teleport"},
    {"model predicts an unknown state", BODY "expect model predicts b resting by 2\n", 0, 2, 25,
     "expected a state the model predicts (broken, fell, out_of_bounds), got 'resting'"},
    {"model predicts without by", BODY "expect model predicts b broken 2\n", 0, 2, 32, "expected 'by T', got '2'"},
    {"model predicts a probability above 1", BODY "expect model predicts b broken by 2 p > 1.5\n", 0, 2, 41,
     "expected a probability in [0, 1], got 1.5"},
    {"model predicts p with a bad operator", BODY "expect model predicts b broken by 2 p = 0.5\n", 0, 2, 39,
     "expected '>' or '<' after 'p', got '='"},
    {"model field without from", BODY "expect model b.x near 0 0.1 at 1\n", 0, 2, 33,
     "expected 'from T0' (the time the rollout starts), got end of line"},
    {"model field starting after its time", BODY "expect model b.x near 0 0.1 at 1 from 2\n", 0, 2, 39,
     "expected a start T0 <= T (1), got 2"},
    {"model expectation on a static body", "body t box wood static pos 0 0 size 1 0.1\n" BODY "expect model predicts t broken by 1\n",
     0, 3, 23, "expected a dynamic body of the start for a model expectation, got static body 't'"},
    {"surprise without between", BODY "expect surprise b > 5\n", 0, 2, 22, "expected 'between T1 T2', got end of line"},
    {"surprise between backwards", BODY "expect surprise b > 5 between 2 1\n", 0, 2, 33, "expected T2 >= T1 (2), got 1"},
    {"surprise never without >", BODY "expect surprise never < 5\n", 0, 2, 23, "expected '>' after 'never', got '<'"},
    {"surprise of an unknown body", BODY "expect surprise zz > 5 between 0 1\n", 0, 2, 17, "unknown body 'zz'"},
    {"fate without between", BODY "expect fate b > 5\n", 0, 2, 18, "expected 'between T1 T2', got end of line"},
    {"fate without a number", BODY "expect fate b > much between 0 1\n", 0, 2, 17, "expected a fate X (nats), got 'much'"},
    {"fate never without >", BODY "expect fate never < 5\n", 0, 2, 19, "expected '>' after 'never', got '<'"},
    {"fate of an unknown body", BODY "expect fate zz > 5 between 0 1\n", 0, 2, 13, "unknown body 'zz'"},
    {"alarm with a number", BODY "expect alarm b > 5 between 0 1\n", 0, 2, 16, "expected 'between T1 T2', got '>'"},
    {"alarm without between", BODY "expect alarm b\n", 0, 2, 15, "expected 'between T1 T2', got end of line"},
    {"alarm never with a number", BODY "expect alarm never > 5\n", 0, 2, 20, "expected end of line, got '>'"},
    {"alarm between backwards", BODY "expect alarm b between 2 1\n", 0, 2, 26, "expected T2 >= T1 (2), got 1"},
    {"teleport without a place", BODY "at 1 teleport b 0\n", 0, 2, 18, "expected the place Y (m), got end of line"},
    {"teleport of an unknown body", BODY "at 1 teleport zz 0 1\n", 0, 2, 15, "unknown body 'zz'"},
    {"teleport of a static body", "body t box wood static pos 0 0 size 1 0.1\n" BODY "at 1 teleport t 0 1\n", 0, 3, 15,
     "expected a dynamic body to teleport, got static body 't'"},
    {"vanish with junk", BODY "at 1 vanish b now\n", 0, 2, 15, "expected end of line, got 'now'"},
    {"freeze without a body", BODY "at 1 freeze\n", 0, 2, 12, "expected a body"},
    {"mass without a factor", BODY "at 1 mass b\n", 0, 2, 12, "expected a mass FACTOR"},
    {"mass factor too large", BODY "at 1 mass b 1000\n", 0, 2, 13, "expected a mass factor in [0.01, 100], got 1000"},
    {"mass factor zero", BODY "at 1 mass b 0 shown\n", 0, 2, 13, "expected a mass factor in [0.01, 100], got 0"},
    {"mass with a word", BODY "at 1 mass b 2 visible\n", 0, 2, 15, "expected end of line, got 'visible'"},
    {"gravity with one number", BODY "at 1 gravity 0\n", 0, 2, 15, "expected a gravity GY"},
    {"gravity too strong", BODY "at 1 gravity 0 -1e6\n", 0, 2, 16, "within +-1000"},
    {"ghost without on or off", BODY "at 1 ghost b yes\n", 0, 2, 14, "expected 'on' or 'off' after the ghost's body, got 'yes'"},
    {"drift with half a velocity", BODY "at 1 drift b 1\n", 0, 2, 15, "expected a velocity change VY"},
    {"magic with an empty if", BODY "at 1 freeze b if\n", 0, 2, 17, "expected an expression after 'if'"},
    {"magic if with an unknown parameter", BODY "at 1 freeze b if $zz\n", 0, 2, 18, "unknown parameter '$zz'"},
    {"appear without a size", BODY "at 1 appear s box wood pos 0 1\n", 0, 2, 31, "expected 'size W H' for body 's'"},
    {"appear of a taken name", BODY "at 1 appear b ball rubber pos 0 1 radius 0.1\n", 0, 2, 13, "duplicate body 'b'"},
    {"magic at a negative time", BODY "at -1 freeze b\n", 0, 2, 4, "expected"},
    {"and without push", BODY "at 1 push b 1 0 and b 1 0\n", 0, 2, 21, "expected 'push' after 'and'"},
    {"second push of a line incomplete", BODY "at 1 push b 1 0 and push b 1\n", 0, 2, 29, "impulse JY"},
    {"grab without a target", BODY "at 1 grab b 0\n", 0, 2, 14, "expected the hand's Y (m), got end of line"},
    {"grab with half an anchor", BODY "at 1 grab b 0 1 anchor 0\n", 0, 2, 25, "anchor AY"},
    {"grab of a static body", "body f box stone static pos 0 0 size 1 1\nat 1 grab f 0 1\n", 0, 2, 11,
     "expected a dynamic body to grab, got static body 'f'"},
    {"anchor far outside the body", BODY "at 1 grab b 0 1 anchor 100 0\n", 0, 2, 24, "within 10 body sizes"},
    {"release of an unknown body", BODY "at 1 release zz\n", 0, 2, 14, "unknown body 'zz'"},
    {"release with junk", BODY "at 1 release b now\n", 0, 2, 16, "expected end of line, got 'now'"},
    {"spawn of a taken name", BODY "at 1 spawn b box wood pos 0 1 size 1 1\n", 0, 2, 12, "duplicate body 'b'"},
    {"spawn without a size", BODY "at 1 spawn s box wood pos 0 1\n", 0, 2, 30, "expected 'size W H' for body 's'"},
    {"spawn outside the bounds", BODY "at 1 spawn s box wood pos 0 100 size 1 1\n", 0, 2, 27, "inside the world bounds"},
    {"spawn of a shard", BODY "at 1 spawn s shard glass pos 0 1 size 1 1\n", 0, 2, 14, "shards come only"},
    {"a bad piece reference", BODY "at 1 push b/x 1 0\n", 0, 2, 11, "NAME/K for piece K"},
    {"a piece of an unknown body", BODY "at 1 push zz/1 1 0\n", 0, 2, 11, "unknown body 'zz'"},
    {"a body named before its spawn is fine, an unknown one is not", BODY "expect event fall q/0 before 1\n", 0, 2,
     19, "unknown body 'q'"},
    {"push on a static body", "body f box stone static pos 0 0 size 1 1\nat 1 push f 1 0\n", 0, 2, 11,
     "static body 'f'"},
    {"trailing junk on world", "world dt 0.01 junk\n" BODY, 0, 1, 15, "expected end of line, got 'junk'"},
    {"trailing junk on expect", BODY "expect by 1 b broken soon\n", 0, 2, 22, "got 'soon'"},
    {"unknown body field", "body b box wood pos 0 1 size 1 1 mass 2\n", 0, 1, 34, "expected a body field"},
    {"field given twice", "body b box wood pos 0 1 pos 0 2 size 1 1\n", 0, 1, 25, "second 'pos'"},
    {"word where a number belongs", "body b box wood pos zero 1 size 1 1\n", 0, 1, 21, "expected pos X (m), got 'zero'"},
    {"empty file", "", 0, 1, 1, "empty scenario: no bodies"},
    {"only comments", "# nothing here\n\n   \n", 0, 1, 1, "empty scenario: no bodies"},
    {"only settings", "world dt 0.01\nparam a uniform 0 1\n", 0, 1, 1, "empty scenario: no bodies"},
    {"NUL byte", "body b\0 box wood pos 0 1 size 1 1\n", 35, 1, 7, "binary data"},
    {"control byte", BODY "# \x01\x02\n", 0, 2, 3, "binary data"},
    {"invalid UTF-8", BODY "# caf\xff\n", 0, 2, 6, "binary data"},
    {"truncated UTF-8", BODY "# caf\xc3", 0, 2, 6, "binary data"},
    {"unterminated parenthesis", "world dt (1/120\n" BODY, 0, 1, 10, "expected ')'"},
    {"unterminated inner parenthesis", BODY "at (1+(2 push b 1 0\n", 0, 2, 4, "expected ')'"},
    {"unknown function", "world dt foo(1)\n" BODY, 0, 1, 10, "unknown function 'foo'"},
    {"wrong argument count", "world dt sqrt(1, 2)\n" BODY, 0, 1, 10, "expected 1 argument"},
    {"unknown param", "world dt $zz\n" BODY, 0, 1, 10, "unknown parameter '$zz'"},
    {"param used before its declaration", "param a uniform 0 $b\nparam b uniform 0 1\n" BODY, 0, 1, 19,
     "unknown parameter '$b'"},
    {"dangling operator", "world dt 1+\n" BODY, 0, 1, 12, "got end of expression"},
    {"number glued to a name", "world dt 2x\n" BODY, 0, 1, 10, "expected a number, got '2x'"},
    {"dt out of range", "world dt 0.5\n" BODY, 0, 1, 10, "dt in [1e-05, 0.1]"},
    {"dt too small", "world dt 1e-300\n" BODY, 0, 1, 10, "dt in [1e-05, 0.1] s, got 1e-300"},
    {"substeps zero", "world substeps 0\n" BODY, 0, 1, 16, "1..64 of substeps"},
    {"substeps too many", "world substeps 65\n" BODY, 0, 1, 16, "got 65"},
    {"sleep negative", "world sleep -1\n" BODY, 0, 1, 13, "sleep time in [0, 1000] s"},
    {"shards out of range", "world shards 9\n" BODY, 0, 1, 14, "2..8"},
    {"iterations not an integer", "world iterations 2.5\n" BODY, 0, 1, 18, "1..100"},
    {"gravity out of range", "world gravity 0 -1e300\n" BODY, 0, 1, 17, "within +-1000"},
    {"bounds out of order", "world bounds 3 0 -3 4\n" BODY, 0, 1, 18, "XMAX > XMIN"},
    {"body outside the bounds", "body b box wood pos 100 1 size 1 1\n", 0, 1, 21, "inside the world bounds"},
    {"seed from a parameter", "param a uniform 0 1\nworld seed $a\n" BODY, 0, 2, 12, "constant"},
    {"negative seed", "world seed -1\n" BODY, 0, 1, 12, "seed"},
    {"negative time", BODY "at -1 push b 1 0\n", 0, 2, 4, "time in [0, 100000] s"},
    {"time too far", BODY "expect at 1e9 b alive\n", 0, 2, 11, "got 1e+09"},
    {"uniform with HI < LO", "param a uniform 2 1\n" BODY, 0, 1, 19, "HI >= LO"},
    {"int with a fraction", "param a int 1 2.5\n" BODY, 0, 1, 15, "integer HI"},
    {"unknown distribution", "param a gaussian 0 1\n" BODY, 0, 1, 9, "expected a distribution"},
    {"choice without values", "param a choice\n" BODY, 0, 1, 15, "at least one value"},
    {"reserved body name", "body near box wood pos 0 1 size 1 1\n", 0, 1, 6, "reserved word 'near'"},
    {"overlong name", "body abcdefghijklmnopqrstuvwxyz0123456789 box wood pos 0 1 size 1 1\n", 0, 1, 6,
     "at most 31 characters"},
    {"unknown expectation", BODY "expect sometimes b broken\n", 0, 2, 8, "expected an expectation"},
    {"unknown event type", BODY "expect event explode b before 1\n", 0, 2, 14, "expected an event type"},
    {"unknown field", BODY "expect at 1 b.mass < 2\n", 0, 2, 15, "expected a field"},
    {"unknown state", BODY "expect at 1 b happy\n", 0, 2, 15, "expected a state"},
    {"negative tolerance", BODY "expect at 1 b.x near 0 -1\n", 0, 2, 24, "tolerance >= 0"},
    {"event without a time", BODY "expect event fall b\n", 0, 2, 20, "before, after, near or between"},
    {"when without then", BODY "expect when b.y < 0 time near 1 1\n", 0, 2, 21, "expected 'then'"},
    {"order of one body", BODY "expect order fall b\n", 0, 2, 20, "at least two bodies"},
    {"between out of order", BODY "expect event fall b between 2 1\n", 0, 2, 31, "T2 >= T1"},
    {"random agent field", BODY "agent random speed 3\n", 0, 2, 14, "expected an agent field"},
    {"random agent range", BODY "agent random every 2 1\n", 0, 2, 22, "every HI >= LO"},
    /* kinds and materials as values */
    {"a kind where a material belongs", "param k choice box ball\nbody b box $k pos 0 1 size 1 1\n", 0, 2, 12,
     "expected a material (wood, glass, rubber, steel, stone, felt, ice), got '$k' (a kind)"},
    {"a number where a kind belongs", "param n uniform 0 1\nbody b $n wood pos 0 1 size 1 1\n", 0, 2, 8,
     "expected a body kind (box, ball, cup, plank, ramp), got '$n' (a number)"},
    {"a material word where a kind belongs", "body b wood wood pos 0 1 size 1 1\n", 0, 1, 8, "expected a body kind"},
    {"a material where a number belongs", "param m choice wood steel\nbody b box wood pos $m 1 size 1 1\n", 0, 2, 21,
     "expected pos X (m), got '$m' (a material)"},
    {"a kind name where a number belongs", "body b box wood pos 0 1 size ball 1\n", 0, 1, 30,
     "expected size W (m), got 'ball'"},
    {"a kind expression where a number belongs", "body b box wood pos 0 1 size (ball) 1\n", 0, 1, 30,
     "expected size W (m), got the kind 'ball'"},
    {"choices of two types", "param m choice wood 1\n" BODY, 0, 1, 21, "expected a material to choose from, like the "
                                                                     "first choice, got a number"},
    {"a shard among the choices", "param k choice box shard\n" BODY, 0, 1, 20, "shards come only from breaking"},
    {"arithmetic on a material", "param m choice wood steel\nlet x = $m + 1\n" BODY, 0, 2, 9,
     "expected a number to add, got '$m' (a material)"},
    {"a kind compared with a material", "param k choice box ball\nlet x = $k == wood\n" BODY, 0, 2, 15,
     "expected a kind to compare with, got the material 'wood'"},
    {"ordering kinds", "let x = ball < box\n" BODY, 0, 1, 9, "expected a number to order, got the kind 'ball'"},
    {"a material in a function", "let x = sqrt(glass)\n" BODY, 0, 1, 14, "as an argument of sqrt(), got the material"},
    {"pick between two types", "let x = pick(1, box, wood)\n" BODY, 0, 1, 22,
     "expected a kind like the first choice, got the material 'wood'"},
    {"pick by a kind", "let x = pick(box, 1, 2)\n" BODY, 0, 1, 14, "expected a number to pick by, got the kind 'box'"},
    {"radius when a parameter chooses the kind", "param k choice box ball\nbody b $k wood pos 0 1 radius 0.1\n", 0, 2,
     24, "radius is for balls; a ball takes 'size D D'"},
    {"a ball chosen with unequal sides", "param k choice ball\nbody b $k rubber pos 0 1 size 1 2\n", 0, 2, 33,
     "expected a ball's size D D (equal), got 1 2"},
    {"a body's condition is a number", "body b box wood pos 0 1 size 1 1 if box\n", 0, 1, 37,
     "expected a condition (a number: 0 is false), got the kind 'box'"},
    /* derived constants */
    {"let without =", "let a 1\n" BODY, 0, 1, 7, "expected '=' after the name, got '1'"},
    {"let without an expression", "let a =\n" BODY, 0, 1, 8, "expected an expression after '='"},
    {"let named like a param", "param a uniform 0 1\nlet a = 2\n" BODY, 0, 2, 5, "duplicate param 'a'"},
    {"param named like a let", "let a = 2\nparam a uniform 0 1\n" BODY, 0, 2, 7, "duplicate let 'a'"},
    {"let reading a later param", "let a = $b\nparam b uniform 0 1\n" BODY, 0, 1, 9, "unknown parameter '$b'"},
    {"let of a bad expression", "let a = 1 +* 2\n" BODY, 0, 1, 12, "expected a number, got '*'"},
    {"let dividing by zero", "param n int 0 0\nlet a = 1 / $n\n" BODY, 0, 2, 11, "division by zero"},
    /* placement */
    {"on an unknown support", "body b box wood on zz size 0.1 0.1\n", 0, 1, 20, "expected a support declared above, got 'zz'"},
    {"on a support declared below", "body b box wood on t size 0.1 0.1\nbody t box wood static pos 0 0 size 1 1\n", 0,
     1, 20, "expected a support declared above, got 't'"},
    {"pos and on", "body t box wood static pos 0 0 size 1 0.1\nbody b box wood pos 0 1 on t size 0.1 0.1\n", 0, 2, 25,
     "expected either 'pos X Y' or 'on SUPPORT', got both"},
    {"on twice", "body t box wood static pos 0 0 size 1 0.1\nbody b box wood on t on t size 0.1 0.1\n", 0, 2, 22,
     "second 'on'"},
    {"on with an angle", "body t box wood static pos 0 0 size 1 0.1\nbody b box wood on t size 0.1 0.1 angle 5\n",
     0, 2, 41, "expected no 'angle' for a body placed 'on' a support"},
    {"on without a support", "body b box wood on\n", 0, 1, 19, "expected a support: a body declared above"},
    {"from without to", "body t box wood static pos 0 0 size 1 0.1\nbody b box wood on t from 0 size 0.1 0.1\n", 0, 2,
     29, "expected 'to X1' after 'from X0'"},
    {"from after to", "body t box wood static pos 0 0 size 1 0.1\nbody b box wood on t from 0.2 to 0.1 size 0.1 0.1\n",
     0, 2, 34, "expected to X1 > from X0 (0.2), got 0.1"},
    {"a spawned body on a support", "body t box wood static pos 0 0 size 1 0.1\nat 1 spawn s box wood on t size 0.1 0.1\n",
     0, 2, 23, "expected 'pos X Y' for a spawned body, got 'on'"},
    {"on a ball", "body s ball rubber static pos 0 0 radius 0.5\nbody b box wood on s size 0.1 0.1\n", 0, 2, 17,
     "expected a support with a level top (a box or a plank at angle 0), got 's' (a ball at 0 degrees)"},
    {"on a tilted box", "body s box wood static pos 0 0 size 1 0.1 angle 10\nbody b box wood on s size 0.1 0.1\n", 0, 2, 17,
     "(a box at 10 degrees)"},
    {"on an absent support", "body t box wood static pos 0 0 size 1 0.1 if 0\nbody b box wood on t size 0.1 0.1\n", 0, 2,
     17, "expected support 't' in this instance"},
    {"no room on a support", "body t box wood static pos 0 0 size 0.3 0.1\nbody a box wood on t size 0.2 0.1\n"
                             "body b box wood on t size 0.2 0.1\n", 0, 3, 17, "expected room for 'b' (0.200 m wide"},
    {"too wide for its support", "body t box wood static pos 0 0 size 0.3 0.1\nbody a box wood on t size 0.4 0.1\n", 0,
     2, 17, "got none for this seed"},
    /* the start */
    {"overlapping bodies", "body a box wood pos 0 1 size 0.2 0.2\nbody b box wood pos 0.1 1 size 0.2 0.2\n", 0, 2, 6,
     "expected bodies apart at the start, got 'b' 0.1000 m deep in 'a' (line 1)"},
    {"a body in the floor", "body f box stone static pos 0 -0.05 size 6 0.1\nbody b ball rubber pos 0 0.04 radius 0.05\n",
     0, 2, 6, "'b' 0.0100 m deep in 'f'"},
    {"random agent fractional budget", BODY "agent random pushes 1.5\n", 0, 2, 21, "push budget"},
    {"goal without a form", BODY "goal\n", 0, 2, 5, "expected a goal (BODY in"},
    {"goal on an unknown body", BODY "goal zz fell by 1\n", 0, 2, 6, "unknown body 'zz'"},
    {"goal on a static body", "body f box stone static pos 0 0 size 1 1\ngoal f fell by 1\n", 0, 2, 6,
     "dynamic body of the start for a goal, got static body 'f'"},
    {"goal on a piece", BODY "goal b/2 fell by 1\n", 0, 2, 6, "got a piece of a body 'b/2'"},
    {"goal without a deadline", BODY "goal b broken\n", 0, 2, 14, "'by T'"},
    {"negated goal with a deadline", BODY "goal not b broken by 2\n", 0, 2, 19, "whole run"},
    {"goal region out of order", BODY "goal b in 1 0 0 1 by 2\n", 0, 2, 15, "region XMAX > XMIN"},
    {"goal region with three numbers", BODY "goal b in 0 0 1 by 2\n", 0, 2, 17, "region YMAX (m), got 'by'"},
    {"field goal without a time", BODY "goal b.x < 1\n", 0, 2, 13, "'at T'"},
    {"goal with an unknown state", BODY "goal b happy by 2\n", 0, 2, 8, "got 'happy'"},
    {"negated region goal", BODY "goal not b in 0 0 1 1\n", 0, 2, 12, "'broken' or 'fell'"},
    {"goal deadline before 0", BODY "goal b in 0 0 1 1 by -1\n", 0, 2, 22, "time in [0, 100000] s"},
    {"region expectation out of order", BODY "expect at 1 b in 0 0 -1 1\n", 0, 2, 22, "region XMAX > XMIN"},
    {"planner samples 0", BODY "agent planner samples 0\n", 0, 2, 23, "samples, an integer in 1..4096, got 0"},
    {"planner negative horizon", BODY "agent planner horizon -5\n", 0, 2, 23, "horizon in control ticks"},
    {"planner NaN", BODY "agent planner samples nan\n", 0, 2, 23, "nan and inf are not allowed"},
    {"planner unknown field", BODY "agent planner speed 3\n", 0, 2, 15, "expected a planner field"},
    {"planner impulse 0", BODY "agent planner impulse 0\n", 0, 2, 23, "impulse limit in (0, 1000]"},
    {"planner elites above samples", BODY "agent planner samples 10 elites 20\n", 0, 2, 33, "elites"},
    {"oracle replanning every 0 ticks", BODY "agent oracle every 0\n", 0, 2, 20, "between decisions"},
    {"junk after agent none", BODY "agent none 3\n", 0, 2, 12, "expected end of line, got '3'"},
};

static void check_bad(const BadCase* c) {
    char err[512] = "";
    size_t len = c->len ? c->len : strlen(c->text);
    Scenario* s = scn_parse(c->text, len, "t.scn", err, sizeof err);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "t.scn:%d:%d: ", c->line, c->col);
    bool ok = !s && strncmp(err, prefix, strlen(prefix)) == 0 && strstr(err, c->phrase) &&
              strstr(err, "expected") && !strchr(err, '\n');
    if (!ok) {
        fprintf(stderr, "bad case '%s': wanted %s...%s..., got %s\n", c->what, prefix, c->phrase,
                s ? "a scenario" : err);
        ensure_failures++;
    }
    scn_free(s);
}

/* ---- successful parses ---- */

static Scenario* parse_ok(const char* text) {
    char err[512] = "";
    Scenario* s = scn_parse(text, strlen(text), "ok.scn", err, sizeof err);
    if (!s) {
        fprintf(stderr, "unexpected parse error: %s\n", err);
        ensure_failures++;
    }
    return s;
}

/* the value of one expression, through 'param p choice EXPR' */
static double expr_value(const char* expr) {
    char text[512];
    snprintf(text, sizeof text, "param p choice %s\n" BODY, expr);
    Scenario* s = parse_ok(text);
    if (!s) return NAN;
    ScnInstance inst;
    char err[512];
    double v = NAN;
    if (scn_instantiate(s, 1, &inst, err, sizeof err)) {
        v = inst.params[0];
        scn_instance_free(&inst);
    }
    scn_free(s);
    return v;
}

static void test_expressions(void) {
    CHECK(expr_value("1/120") == 1.0 / 120);
    CHECK(expr_value("-2.5") == -2.5);
    CHECK(expr_value("1e-3") == 1e-3);
    CHECK(expr_value("(2 * 3 + 1)") == 7);
    CHECK(expr_value("2^3^2") == 512);        /* right-associative */
    CHECK(expr_value("-2^2") == -4);          /* power binds tighter than minus */
    CHECK(expr_value("2*3-4/2") == 4);
    CHECK(expr_value("(1 - 2 - 3)") == -4);   /* left-associative */
    CHECK(expr_value("sqrt(16)") == 4);
    CHECK(expr_value("abs(-3)") == 3);
    CHECK(expr_value("min(3, 1, 2)") == 1);
    CHECK(expr_value("max(3,1,2)") == 3);
    CHECK(fabs(expr_value("sin(pi/2)") - 1) < 1e-15);
    CHECK(fabs(expr_value("cos(pi)") + 1) < 1e-15);
    CHECK(expr_value("g") == 9.81);
    CHECK(expr_value("(3 > 2)") == 1);
    CHECK(expr_value("(3 <= 2)") == 0);
    CHECK(expr_value("(2 == 2)") == 1);
    CHECK(expr_value("(2 != 2)") == 0);
    CHECK(expr_value("(1 + 2 >= 3)") == 1);
    CHECK(expr_value(".5") == 0.5);
    CHECK(expr_value("floor(2.7)") == 2);
}

/* FNV-1a 64, as scn_text_hash promises */
static uint64_t fnv(const char* s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

static const char* full_text =
    "# every statement once\n"
    "world gravity 0 -g            # numbers are expressions\n"
    "world dt 1/240\n"
    "world ticks 4\n"
    "world iterations 30\n"
    "world bounds -5 -2 5 6\n"
    "world shards 4\n"
    "world seconds 3.5\n"
    "world seed 42\n"
    "\n"
    "param gx uniform 0.2 0.8\n"
    "param n int 1 3\n"
    "param m choice 0.5 1 2\n"
    "param v normal 1.0 0.1 clamp 0.9 1.1\n"
    "param w uniform 0 $gx          # earlier parameters may be used\n"
    "\n"
    "body floor box   stone static pos 0 -0.05 size 6 0.1\n"
    "body glass cup   glass pos $gx 0.81 size 0.08 0.12\n"
    "body ball  ball  rubber pos 0 1 radius 0.05 vel 1 0 spin -2\n"
    "body r1    ramp  wood static pos -0.5 0.2 size 0.6 0.3 angle 30\n"
    "body g2    cup   glass pos 0.3 0.81 size 0.08 0.12 if $n >= 2\n"
    "body g3\tcup\tglass\tpos 0.4 0.81 size (0.04 * 2) 0.12 if ($n == 3) * 1\n"
    "\n"
    "at 0.5 push glass 0.6 0\n"
    "at 0.25 push ball 0 1 offset 0 0.04\n"
    "at 0.5 push ball -1 0\n"
    "agent random every 0.4 1.2 dv 0.3 2.5 angle 15 start 0.5 height 0.25\n"
    "\n"
    "expect by 3.0 glass broken\n"
    "expect at 2.0 ball.x near 1.20 5%\n"
    "expect never ball out_of_bounds\n"
    "expect always not floor broken\n"
    "expect event fall glass before 1.5\n"
    "expect event contact ball floor near 0.4 0.1\n"
    "expect event rest ball between 1 2\n"
    "expect event push glass after 0.1\n"
    "expect no event break ball\n"
    "expect order fall glass ball\n"
    "expect when ball.y < 0.05 then time near sqrt(2*0.95/9.81) 2%\n"
    "expect when glass fell then glass.x > 0.6\n"
    "expect max ball.y from 0 to 1 < 1.5\n"
    "expect min ball.vy >= -10\n"
    "expect at 1 ball.angle <=0\r\n";

static void test_full_parse(void) {
    Scenario* s = parse_ok(full_text);
    if (!s) return;
    CHECK(!strcmp(scn_name(s), "ok.scn"));
    CHECK(scn_text_hash(s) == fnv(full_text, strlen(full_text)));
    CHECK(scn_param_count(s) == 5);
    CHECK(!strcmp(scn_param_name(s, 0), "gx") && !strcmp(scn_param_name(s, 4), "w"));
    CHECK(scn_param_name(s, 5) == NULL);
    CHECK(scn_default_seed(s) == 42);
    CHECK(scn_default_seconds(s) == 3.5);

    char err[512];
    ScnInstance inst;
    CHECK(scn_instantiate(s, 7, &inst, err, sizeof err));
    CHECK(inst.world.gx == 0 && inst.world.gy == -9.81);
    CHECK(inst.world.dt == 1.0 / 240 && inst.world.steps_per_tick == 4 && inst.world.iterations == 30);
    CHECK(inst.world.bounds[0] == -5 && inst.world.bounds[3] == 6 && inst.world.shards == 4);
    CHECK(inst.world.seed == 7);
    CHECK(inst.seconds == 3.5);
    CHECK(inst.nparams == 5);
    double gx = inst.params[0], n = inst.params[1];
    CHECK(gx >= 0.2 && gx < 0.8);
    CHECK(n == 1 || n == 2 || n == 3);
    CHECK(inst.params[2] == 0.5 || inst.params[2] == 1 || inst.params[2] == 2);
    CHECK(inst.params[3] >= 0.9 && inst.params[3] <= 1.1);
    CHECK(inst.params[4] >= 0 && inst.params[4] < gx);
    /* bodies: file order, 'if' bodies only when their condition holds */
    CHECK(inst.nbodies == 4 + (n >= 2) + (n == 3));
    CHECK(!strcmp(inst.bodies[0].name, "floor") && inst.bodies[0].is_static);
    CHECK(inst.bodies[1].x == gx && inst.bodies[1].kind == SIM_KIND_CUP && !inst.bodies[1].is_static);
    CHECK(inst.bodies[2].kind == SIM_KIND_BALL && inst.bodies[2].w == 0.1 && inst.bodies[2].h == 0.1);
    CHECK(inst.bodies[2].vx == 1 && inst.bodies[2].vy == 0 && inst.bodies[2].omega == -2);
    CHECK(fabs(inst.bodies[3].angle - 3.14159265358979323846 / 6) < 1e-15); /* degrees in, rad out */
    if (n == 3) CHECK(!strcmp(inst.bodies[5].name, "g3") && inst.bodies[5].w == 0.08);
    /* actions sorted by time, stable; ids are instance indices */
    CHECK(inst.nactions == 3);
    CHECK(inst.actions[0].t == 0.25 && inst.actions[0].body == 2 && inst.actions[0].py == 0.04);
    CHECK(inst.actions[1].t == 0.5 && inst.actions[1].body == 1 && inst.actions[1].jx == 0.6);
    CHECK(inst.actions[2].t == 0.5 && inst.actions[2].body == 2 && inst.actions[2].jx == -1);
    CHECK(inst.agent.kind == SCN_AGENT_RANDOM && inst.agent.every_lo == 0.4 && inst.agent.every_hi == 1.2);
    CHECK(inst.agent.dv_hi == 2.5 && inst.agent.angle_deg == 15 && inst.agent.start == 0.5);
    CHECK(inst.agent.height_frac == 0.25);
    scn_instance_free(&inst);
    scn_instance_free(&inst); /* twice is harmless */
    scn_free(s);
    scn_free(NULL);
}

/* the timed actions: pushes joined by 'and', grab key frames, releases, spawns, pieces */
static void test_actions_parse(void) {
    const char* text = "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                       "body glass cup glass pos 0 1 size 0.08 0.12\n"
                       "body box box wood pos 1 0.05 size 0.1 0.1\n"
                       "at 0.5 push glass 0.1 0 and push box -0.2 0 offset 0 0.01\n"
                       "at 0.5 push box 0.3 0\n"
                       "at 1 grab box 1 0.5 anchor 0.01 -0.02\n"
                       "at 1.5 grab box 0.5 0.5\n"
                       "at 2 release box\n"
                       "at 0.25 spawn ball ball rubber pos 0 2 radius 0.04 vel 1 0\n"
                       "at 3 push ball 0.01 0\n"
                       "at 3.5 push glass/2/1 0.001 0\n"
                       "expect event fall ball before 4\n"
                       "expect no event break glass/2\n"
                       "expect at 4 glass/2.y < 1\n";
    Scenario* s = parse_ok(text);
    if (!s) return;
    char err[512];
    ScnInstance inst;
    CHECK(scn_instantiate(s, 0, &inst, err, sizeof err));
    CHECK(inst.nbodies == 3); /* the spawned ball is not there at the start */
    CHECK(inst.nactions == 9);
    CHECK(inst.agent.kind == SCN_AGENT_SCRIPTED);
    const ScnAction* a = inst.actions;
    CHECK(a[0].kind == SCN_ACT_SPAWN && a[0].t == 0.25 && a[0].body == -1 && !strcmp(a[0].ref, "ball"));
    CHECK(!strcmp(a[0].spawn.name, "ball") && a[0].spawn.kind == SIM_KIND_BALL && a[0].spawn.w == 0.08 &&
          a[0].spawn.vx == 1 && a[0].spawn.y == 2);
    CHECK(a[1].kind == SCN_ACT_PUSH && a[1].body == 1 && a[1].group > 0);
    CHECK(a[2].kind == SCN_ACT_PUSH && a[2].body == 2 && a[2].group == a[1].group && a[2].py == 0.01);
    CHECK(a[3].kind == SCN_ACT_PUSH && a[3].jx == 0.3 && a[3].group != a[1].group);
    CHECK(a[4].kind == SCN_ACT_GRAB && a[4].body == 2 && a[4].x == 1 && a[4].y == 0.5 && a[4].has_anchor &&
          a[4].anchor[0] == 0.01 && a[4].anchor[1] == -0.02);
    CHECK(a[5].kind == SCN_ACT_GRAB && !a[5].has_anchor && a[5].x == 0.5);
    CHECK(a[6].kind == SCN_ACT_RELEASE && a[6].body == 2 && a[6].t == 2);
    CHECK(a[7].kind == SCN_ACT_PUSH && a[7].body == -1 && !strcmp(a[7].ref, "ball"));
    CHECK(a[8].kind == SCN_ACT_PUSH && a[8].body == -1 && !strcmp(a[8].ref, "glass#2#1"));
    scn_instance_free(&inst);
    scn_free(s);
    /* a piece's world name follows the world's naming, long names cut as the world cuts them */
    char piece[SIM_NAME_MAX];
    sim_shard_name("abcdefghijklmnopqrstuvwxyz", 3, piece);
    CHECK(!strcmp(piece, "abcdefghijklmnopqrst#3"));
    sim_shard_name("", 0, piece);
    CHECK(!strcmp(piece, "body#0"));
}

static void test_defaults(void) {
    /* no world lines: the world's defaults; 'at' lines without an agent line: scripted */
    Scenario* s = parse_ok(BODY "at 1 push b 1 0\n");
    if (!s) return;
    CHECK(scn_default_seed(s) == 0 && scn_default_seconds(s) == 5);
    ScnInstance inst;
    char err[256];
    CHECK(scn_instantiate(s, 3, &inst, err, sizeof err));
    SimWorldDef d = sim_world_def_default();
    CHECK(inst.world.dt == d.dt && inst.world.steps_per_tick == d.steps_per_tick);
    CHECK(inst.world.gy == d.gy && inst.world.iterations == d.iterations && inst.world.shards == d.shards);
    CHECK(inst.agent.kind == SCN_AGENT_SCRIPTED);
    ScnAgentDef a = scn_agent_def_default();
    CHECK(inst.agent.every_lo == a.every_lo && inst.agent.dv_hi == a.dv_hi);
    scn_instance_free(&inst);
    scn_free(s);
    s = parse_ok(BODY);
    if (s && scn_instantiate(s, 3, &inst, err, sizeof err)) {
        CHECK(inst.agent.kind == SCN_AGENT_NONE && inst.nactions == 0);
        scn_instance_free(&inst);
    }
    scn_free(s);
}

static void test_params_deterministic(void) {
    const char* text = "param a uniform -1 1\n"
                       "param n int 1 3\n"
                       "param c choice 5 7 11\n"
                       "param z normal 0 1 clamp -0.5 0.5\n" BODY;
    Scenario* s = parse_ok(text);
    if (!s) return;
    char err[256];
    ScnInstance x, y;
    bool seen_n[4] = {false}, seen_c[12] = {false};
    int differ = 0;
    for (uint64_t seed = 0; seed < 200; seed++) {
        if (!scn_instantiate(s, seed, &x, err, sizeof err)) {
            ensure_failures++;
            break;
        }
        CHECK(scn_instantiate(s, seed, &y, err, sizeof err));
        /* same seed, same values (bit for bit) */
        CHECK(memcmp(x.params, y.params, 4 * sizeof(double)) == 0);
        CHECK(x.params[0] >= -1 && x.params[0] < 1);
        CHECK(x.params[1] == 1 || x.params[1] == 2 || x.params[1] == 3);
        CHECK(x.params[2] == 5 || x.params[2] == 7 || x.params[2] == 11);
        CHECK(x.params[3] >= -0.5 && x.params[3] <= 0.5);
        seen_n[(int)x.params[1]] = true;
        seen_c[(int)x.params[2]] = true;
        ScnInstance z;
        CHECK(scn_instantiate(s, seed + 1000, &z, err, sizeof err));
        differ += z.params[0] != x.params[0];
        scn_instance_free(&z);
        scn_instance_free(&x);
        scn_instance_free(&y);
    }
    /* different seeds, different values; every integer and choice reachable (inclusive) */
    CHECK(differ == 200);
    CHECK(seen_n[1] && seen_n[2] && seen_n[3]);
    CHECK(seen_c[5] && seen_c[7] && seen_c[11]);
    /* the stream is rng_derive(seed, "param"): the first uniform is reproducible by hand */
    Rng r;
    rng_seed(&r, rng_derive(99, 0x706172616d));
    double want = rng_uniform(&r, -1, 1);
    CHECK(scn_instantiate(s, 99, &x, err, sizeof err));
    CHECK(x.params[0] == want);
    scn_instance_free(&x);
    scn_free(s);
}

/* an error that depends on the seed is reported by scn_instantiate with file:line:col */
static void test_instantiate_errors(void) {
    char text[512], err[512];
    Scenario* s = NULL;
    /* find a default seed with which the file loads (n = 1) */
    for (int seed = 0; seed < 64 && !s; seed++) {
        snprintf(text, sizeof text,
                 "world seed %d\nparam n int 0 1\n" BODY "body c box wood pos 0 3 size 1 1 if $n\n"
                 "expect by 1 c broken\n",
                 seed);
        s = scn_parse(text, strlen(text), "i.scn", err, sizeof err);
        if (!s) CHECK(strstr(err, "i.scn:5:13: ") && strstr(err, "its 'if' is false"));
    }
    CHECK(s != NULL);
    if (!s) return;
    int fails = 0, oks = 0;
    for (uint64_t seed = 0; seed < 64; seed++) {
        ScnInstance inst;
        if (scn_instantiate(s, seed, &inst, err, sizeof err)) {
            CHECK(inst.nbodies == 2);
            oks++;
            scn_instance_free(&inst);
        } else {
            CHECK(strstr(err, "i.scn:5:13: ") && strstr(err, "'c'"));
            CHECK(inst.bodies == NULL && inst.params == NULL); /* nothing half-made */
            fails++;
        }
    }
    CHECK(fails > 0 && oks > 0);
    scn_free(s);

    /* division by zero for some seeds only */
    s = NULL;
    for (int seed = 0; seed < 64 && !s; seed++) {
        snprintf(text, sizeof text, "world seed %d\nparam n int 0 1\nbody b box wood pos 0 (1 + 1/$n) size 1 1\n",
                 seed);
        s = scn_parse(text, strlen(text), "d.scn", err, sizeof err);
    }
    CHECK(s != NULL);
    if (!s) return;
    fails = 0;
    for (uint64_t seed = 0; seed < 64; seed++) {
        ScnInstance inst;
        if (!scn_instantiate(s, seed, &inst, err, sizeof err)) {
            CHECK(strstr(err, "d.scn:3:29: ") && strstr(err, "division by zero"));
            fails++;
        } else {
            scn_instance_free(&inst);
        }
    }
    CHECK(fails > 0);
    scn_free(s);
}

static void test_text_forms(void) {
    /* a line of exactly SCN_MAX_LINE bytes is fine; one more is not */
    char* text = malloc(SCN_MAX_LINE + 200);
    char err[512];
    memset(text, ' ', SCN_MAX_LINE + 200);
    memcpy(text, BODY, strlen(BODY));
    size_t at = strlen(BODY);
    text[at] = '#';
    text[at + SCN_MAX_LINE] = '\n';
    Scenario* s = scn_parse(text, at + SCN_MAX_LINE + 1, "long.scn", err, sizeof err);
    CHECK(s != NULL);
    scn_free(s);
    text[at + SCN_MAX_LINE] = 'x';
    text[at + SCN_MAX_LINE + 1] = '\n';
    s = scn_parse(text, at + SCN_MAX_LINE + 2, "long.scn", err, sizeof err);
    CHECK(!s && strstr(err, "long.scn:2:1025: ") && strstr(err, "at most 1024 bytes"));
    free(text);
    /* CRLF line ends, a byte order mark, tabs, UTF-8 in comments, no final newline */
    const char* forms = "\xEF\xBB\xBF# caf\xC3\xA9 \xE2\x9C\x93\r\nbody\tb  box wood pos 0 1 size 1 1\r\n"
                        "expect by 1 b.x near 0 1";
    s = parse_ok(forms);
    scn_free(s);
    /* the text need not be NUL-terminated: only len bytes are read */
    char buf[64];
    memcpy(buf, BODY, strlen(BODY));
    memset(buf + strlen(BODY), 'Z', sizeof buf - strlen(BODY));
    s = scn_parse(buf, strlen(BODY), "n.scn", err, sizeof err);
    CHECK(s != NULL);
    scn_free(s);
    /* too large */
    size_t big = (size_t)SCN_MAX_BYTES + 1;
    char* huge = malloc(big);
    memset(huge, '\n', big);
    s = scn_parse(huge, big, "big.scn", err, sizeof err);
    CHECK(!s && strstr(err, "big.scn: ") && strstr(err, "at most 1048576 bytes"));
    free(huge);
    /* a tiny error buffer is fine */
    char tiny[8];
    CHECK(scn_parse("bogus", 5, "t.scn", tiny, sizeof tiny) == NULL && strlen(tiny) == 7);
    CHECK(scn_parse("bogus", 5, "t.scn", NULL, 0) == NULL);
}

static void test_load(void) {
    char err[1024];
    char dir[] = "/tmp/nudge_scn_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    /* a missing file, a directory */
    snprintf(path, sizeof path, "%s/missing.scn", dir);
    CHECK(scn_load(path, err, sizeof err) == NULL && strstr(err, path) && strstr(err, "No such file"));
    CHECK(scn_load(dir, err, sizeof err) == NULL && strstr(err, "got a directory"));
    /* a FIFO would block a reader forever, a device never end: both refused at once */
    snprintf(path, sizeof path, "%s/fifo.scn", dir);
    CHECK(mkfifo(path, 0600) == 0);
    CHECK(scn_load(path, err, sizeof err) == NULL && strstr(err, "fifo.scn") && strstr(err, "FIFO"));
    remove(path);
    snprintf(path, sizeof path, "%s/zero.scn", dir);
    CHECK(symlink("/dev/zero", path) == 0);
    CHECK(scn_load(path, err, sizeof err) == NULL && strstr(err, "zero.scn") && strstr(err, "character device"));
    remove(path);
    /* a good file, then a bad one (the error names the path) */
    snprintf(path, sizeof path, "%s/good.scn", dir);
    FILE* f = fopen(path, "wb");
    fputs(BODY "expect by 1 b.x near 0 1\n", f);
    fclose(f);
    Scenario* s = scn_load(path, err, sizeof err);
    CHECK(s && !strcmp(scn_name(s), path));
    scn_free(s);
    snprintf(path, sizeof path, "%s/bad.scn", dir);
    f = fopen(path, "wb");
    fputs(BODY "body b box wood pos 0 1 size 1 1\n", f);
    fclose(f);
    char want[300];
    snprintf(want, sizeof want, "%s:2:6: ", path);
    CHECK(scn_load(path, err, sizeof err) == NULL && strncmp(err, want, strlen(want)) == 0);
    remove(path);
    /* larger than SCN_MAX_BYTES */
    snprintf(path, sizeof path, "%s/big.scn", dir);
    f = fopen(path, "wb");
    for (int i = 0; i <= SCN_MAX_BYTES / 1024; i++) {
        char line[1024];
        memset(line, ' ', sizeof line);
        line[0] = '#';
        line[1023] = '\n';
        fwrite(line, 1, sizeof line, f);
    }
    fclose(f);
    CHECK(scn_load(path, err, sizeof err) == NULL && strstr(err, "at most 1048576 bytes"));
    remove(path);
    snprintf(path, sizeof path, "%s/good.scn", dir);
    remove(path);
    rmdir(dir);
    /* the shipped dataset template loads */
    snprintf(path, sizeof path, "%s/scenarios/templates/push_off_table.scn", NUDGE_SOURCE_DIR);
    s = scn_load(path, err, sizeof err);
    if (!s) fprintf(stderr, "%s\n", err);
    CHECK(s != NULL);
    scn_free(s);
}

/* mangled input never crashes and never half-loads: every result is a scenario or one error line */
static void test_mangled(void) {
    size_t len = strlen(full_text);
    char* buf = malloc(len + 1);
    char err[512];
    int parsed = 0, rejected = 0;
    /* every prefix */
    for (size_t n = 0; n <= len; n++) {
        Scenario* s = scn_parse(full_text, n, "m.scn", err, sizeof err);
        if (s) parsed++;
        else {
            rejected++;
            CHECK(!strncmp(err, "m.scn:", 6) && !strchr(err, '\n'));
        }
        scn_free(s);
    }
    /* random byte edits */
    Rng r;
    rng_seed(&r, 12345);
    static const char alphabet[] = " \t\n#()$.%+-*/^<>=!,0123456789abexyz_\x01\xff";
    for (int k = 0; k < 3000; k++) {
        memcpy(buf, full_text, len);
        int edits = 1 + (int)rng_int(&r, 0, 3);
        for (int e = 0; e < edits; e++)
            buf[rng_int(&r, 0, (int64_t)len - 1)] = alphabet[rng_int(&r, 0, (int64_t)sizeof alphabet - 2)];
        Scenario* s = scn_parse(buf, len, "m.scn", err, sizeof err);
        if (s) {
            parsed++;
            ScnInstance inst;
            if (scn_instantiate(s, (uint64_t)k, &inst, err, sizeof err)) scn_instance_free(&inst);
            else CHECK(!strncmp(err, "m.scn:", 6));
        } else {
            rejected++;
            CHECK(!strncmp(err, "m.scn:", 6) && !strchr(err, '\n'));
        }
        scn_free(s);
    }
    CHECK(parsed > 100 && rejected > 100);
    free(buf);
}

/* ---- the checker on tiny worlds ---- */

typedef struct Judged {
    int        n;
    ScnVerdict v[32];
    double     horizon;
} Judged;

/* runs text (with the pushes of its 'at' lines) for ticks control ticks and judges it */
static bool run_checked(const char* text, int ticks, Judged* out) {
    char err[512];
    Scenario* s = scn_parse(text, strlen(text), "c.scn", err, sizeof err);
    if (!s) {
        fprintf(stderr, "checker scenario: %s\n", err);
        ensure_failures++;
        return false;
    }
    ScnInstance inst;
    SimWorld* w = NULL;
    CHECK(scn_instantiate(s, 1, &inst, err, sizeof err));
    w = scn_instance_build(&inst, 1, err, sizeof err);
    CHECK(w != NULL);
    if (!w) {
        fprintf(stderr, "%s\n", err);
        scn_instance_free(&inst);
        scn_free(s);
        return false;
    }
    CHECK(sim_world_id_count(w) == inst.nbodies);
    ScnChecker* c = scn_checker_create(s, &inst, w);
    out->horizon = scn_checker_horizon(c);
    double tick = inst.world.dt * inst.world.steps_per_tick;
    int next = 0;
    for (int t = 0; t < ticks; t++) {
        SimPush push, *pp = NULL;
        if (next < inst.nactions && inst.actions[next].t <= sim_world_time(w) + 0.5 * tick) {
            const ScnAction* a = &inst.actions[next++];
            push = (SimPush){.body = a->body, .jx = a->jx, .jy = a->jy, .px = a->px, .py = a->py};
            pp = &push;
        }
        sim_world_tick(w, pp);
        scn_checker_observe(c, w);
    }
    out->n = scn_checker_finish(c, out->v, 32);
    scn_checker_free(c);
    sim_world_destroy(w);
    scn_instance_free(&inst);
    scn_free(s);
    return true;
}

static bool verdict_is(const Judged* j, int i, bool pass, const char* phrase) {
    if (i >= j->n) return false;
    bool ok = j->v[i].pass == pass && strstr(j->v[i].detail, phrase) != NULL;
    if (!ok)
        fprintf(stderr, "verdict %d (line %d '%s'): %s -- %s (wanted %s with '%s')\n", i, j->v[i].line,
                j->v[i].text, j->v[i].pass ? "pass" : "FAIL", j->v[i].detail, pass ? "pass" : "FAIL", phrase);
    return ok;
}

static void test_checker_fall(void) {
    /* a ball dropped from 1 m, no floor: free fall, then out of bounds at y < -1 (t = 0.639 s) */
    const char* text = "world bounds -2 -1 2 2\n"
                       "world seconds 1.5\n"
                       "body ball ball steel pos 0 1 radius 0.05\n"
                       "body low  ball steel pos 1 0.5 radius 0.05\n"
                       "expect when ball.y < 0.5 then time near sqrt(2*0.5/9.81) 2%\n"  /* 0 pass */
                       "expect when ball.y < 0.5 then time near 0.2 1%\n"               /* 1 fail */
                       "expect when ball.y < 0.5 then ball.vy near -sqrt(2*9.81*0.5) 2%\n" /* 2 */
                       "expect at 0.5 ball.y near (1 - 9.81*0.5^2/2) 0.03\n"            /* 3 pass */
                       "expect at 0.5 ball.y near 1.5 0.01\n"                          /* 4 fail */
                       "expect by 1 ball out_of_bounds\n"                              /* 5 pass */
                       "expect never ball out_of_bounds\n"                             /* 6 fail */
                       "expect event out_of_bounds ball between 0.6 0.7\n"             /* 7 pass */
                       "expect event out_of_bounds ball before 0.3\n"                  /* 8 fail */
                       "expect no event break ball\n"                                  /* 9 pass */
                       "expect event break ball before 1\n"                            /* 10 fail */
                       "expect order out_of_bounds low ball\n"                         /* 11 pass */
                       "expect order out_of_bounds ball low\n"                         /* 12 fail */
                       "expect min ball.vy from 0 to 0.5 near -9.81*0.5 2%\n"          /* 13 pass */
                       "expect max ball.y < 0.5\n"                                     /* 14 fail */
                       "expect always ball alive\n"                                    /* 15 fail */
                       "expect at 0.3 ball alive\n"                                    /* 16 pass */
                       "expect at 0.3 not ball alive\n"                                /* 17 fail */
                       "expect always ball.x near 0 0.001\n"                           /* 18 pass */
                       "expect at 3 ball.x near 0 1\n"                                 /* 19 fail: run ends */
                       "expect by 0.2 ball.y < 0.5\n"                                  /* 20 fail: closest */
                       "expect event out_of_bounds ball near 0.645 2%\n"                /* 21 pass */
                       "expect event out_of_bounds ball after 0.5\n"                   /* 22 pass */
                       "expect when ball.y < -5 then time < 1\n"                       /* 23 fail: never */
                       "expect by 1 ball.moved > 1.5\n";                               /* 24 pass */
    Judged j;
    if (!run_checked(text, 90, &j)) return;
    CHECK(j.n == 25);
    CHECK(j.horizon == 3.0);
    CHECK(verdict_is(&j, 0, true, "time = 0.3"));
    CHECK(verdict_is(&j, 1, false, "time = 0.3"));
    CHECK(verdict_is(&j, 1, false, "wanted 0.2000 +- 0.0020"));
    CHECK(verdict_is(&j, 2, true, "ball.vy = -3."));
    CHECK(verdict_is(&j, 3, true, "ball.y = -0.2"));
    CHECK(verdict_is(&j, 4, false, "at 0.500 s, wanted 1.5000 +- 0.0100"));
    CHECK(verdict_is(&j, 5, true, "ball out_of_bounds at 0.6"));
    CHECK(verdict_is(&j, 6, false, "ball out_of_bounds at 0.6"));
    CHECK(verdict_is(&j, 7, true, "first out_of_bounds of ball at 0.6"));
    CHECK(verdict_is(&j, 8, false, "wanted before 0.300 s"));
    CHECK(verdict_is(&j, 9, true, "no break event for ball"));
    CHECK(verdict_is(&j, 10, false, "no break event for ball by the end (1.500 s)"));
    CHECK(verdict_is(&j, 11, true, "low 0.55"));
    CHECK(verdict_is(&j, 12, false, "came before"));
    CHECK(verdict_is(&j, 13, true, "min ball.vy = -4.9"));
    CHECK(verdict_is(&j, 14, false, "max ball.y = 1.0000 at 0.000 s, wanted < 0.5000"));
    CHECK(verdict_is(&j, 15, false, "ball not alive at 0.6"));
    CHECK(verdict_is(&j, 16, true, "ball alive at 0.300 s"));
    CHECK(verdict_is(&j, 17, false, "ball alive at 0.300 s"));
    CHECK(verdict_is(&j, 18, true, "held at every tick"));
    CHECK(verdict_is(&j, 19, false, "the run ended at 1.500 s, before 3.000 s"));
    CHECK(verdict_is(&j, 20, false, "closest 0.80"));
    CHECK(verdict_is(&j, 21, true, "at 0.6"));
    CHECK(verdict_is(&j, 22, true, "after 0.500 s"));
    CHECK(verdict_is(&j, 23, false, "never held"));
    CHECK(verdict_is(&j, 24, true, "ball.moved > 1.5000 at"));
    CHECK(j.v[0].line == 5 && !strncmp(j.v[0].text, "expect when ball.y < 0.5", 24));

    /* the interpolated crossing time against the closed form. The solver's substeps (h = dt / 4)
     * add gravity to the velocity, then move the body with it, so after n substeps
     * y = y0 - g h^2 n (n + 1) / 2: the discrete fall leads the continuous one by h/2. The crossing
     * interpolated between two ticks (8 substeps) must match the discrete solution to far better
     * than a tick. */
    double t_when = atof(strstr(j.v[0].detail, "time = ") + 7);
    double t_exact = sqrt(2 * 0.5 / 9.81);
    double h = 1.0 / 120 / sim_world_def_default().substeps;
    double n = -0.5 + sqrt(0.25 + 2 * 0.5 / (9.81 * h * h));
    double t_discrete = n * h;
    printf("free fall to 0.5 m: interpolated crossing %.5f s, discrete solution %.5f s, sqrt(2h/g) "
           "%.5f s (%.2f%% off, h/2 = %.5f s)\n",
           t_when, t_discrete, t_exact, 100 * fabs(t_when - t_exact) / t_exact, h / 2);
    CHECK(fabs(t_when - t_discrete) < 2e-4);
    CHECK(fabs(t_when - t_exact) < 0.02 * t_exact);
}

static void test_checker_floor(void) {
    /* the brief's example: a ball dropped from 1 m onto a floor; a push moves a box */
    const char* text = "world seconds 2\n"
                       "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                       "body ball ball steel pos -1 1 radius 0.05\n"
                       "body box box wood pos 1 0.05 size 0.1 0.1\n"
                       "at 0.5 push box 0.3 0\n"
                       "expect when ball.y < 0.1 then time near sqrt(2*0.9/9.81) 2%\n"
                       "expect when ball.y < 0.06 then time near 0.3 2%\n"
                       "expect event contact ball floor near sqrt(2*0.95/9.81) 0.05\n"
                       "expect event push box near 0.5 0.02\n"
                       "expect at 0.45 box.moved < 0.001\n"
                       "expect by 2 box.moved > 0.01\n"
                       "expect no event contact ball box\n"
                       "expect always floor.moved < 0.000001\n";
    Judged j;
    if (!run_checked(text, 120, &j)) return;
    CHECK(j.n == 8);
    CHECK(verdict_is(&j, 0, true, "time = 0.4"));
    CHECK(verdict_is(&j, 1, false, "time = 0.4"));
    CHECK(verdict_is(&j, 2, true, "first contact of ball with floor at 0.4"));
    CHECK(verdict_is(&j, 3, true, "first push of box at 0.5"));
    CHECK(verdict_is(&j, 4, true, "box.moved = "));
    CHECK(verdict_is(&j, 5, true, "box.moved > 0.0100 at"));
    CHECK(verdict_is(&j, 6, true, "no contact event for ball with box"));
    CHECK(verdict_is(&j, 7, true, "held at every tick"));
}

/* kinds and materials as parameter values: each choice is reached, the body gets it, the value is
 * the table's index; expressions compare them; pick chooses sizes by kind */
static void test_kind_material_params(void) {
    const char* text = "param k choice box ball cup plank\n"
                       "param m choice wood steel rubber\n"
                       "param s uniform 0.05 0.1\n"
                       "let is_ball = $k == ball\n"
                       "let heavy = ($m == steel) * 10 + ($m != steel)\n"
                       "let h = pick($is_ball, $s, 2 * $s)\n"
                       "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                       "body b $k $m pos 0 1 size $s $h\n"
                       "body c pick($is_ball, box, ramp) pick($m == wood, felt, $m) pos 1 1 size 0.1 0.1\n";
    Scenario* s = parse_ok(text);
    if (!s) return;
    CHECK(scn_param_count(s) == 6 && !strcmp(scn_param_name(s, 3), "is_ball"));
    bool seen_k[SIM_KIND_COUNT] = {false}, seen_m[16] = {false};
    char err[256];
    for (uint64_t seed = 0; seed < 200; seed++) {
        ScnInstance in;
        if (!scn_instantiate(s, seed, &in, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            ensure_failures++;
            break;
        }
        const SimBodyDef* b = &in.bodies[1];
        int k = (int)in.params[0], m = (int)in.params[1];
        CHECK((int)b->kind == k && b->material == m);
        CHECK(k == SIM_KIND_BOX || k == SIM_KIND_BALL || k == SIM_KIND_CUP || k == SIM_KIND_PLANK);
        CHECK(m == sim_material_find("wood") || m == sim_material_find("steel") || m == sim_material_find("rubber"));
        CHECK(in.params[3] == (k == SIM_KIND_BALL));
        CHECK(in.params[4] == (m == sim_material_find("steel") ? 10 : 1));
        CHECK(k == SIM_KIND_BALL ? b->h == b->w : b->h == 2 * b->w);
        CHECK(in.bodies[2].kind == (k == SIM_KIND_BALL ? SIM_KIND_BOX : SIM_KIND_RAMP));
        CHECK(in.bodies[2].material == (m == sim_material_find("wood") ? sim_material_find("felt") : m));
        seen_k[k] = true;
        seen_m[m] = true;
        scn_instance_free(&in);
    }
    CHECK(seen_k[SIM_KIND_BOX] && seen_k[SIM_KIND_BALL] && seen_k[SIM_KIND_CUP] && seen_k[SIM_KIND_PLANK]);
    CHECK(seen_m[sim_material_find("wood")] && seen_m[sim_material_find("steel")] && seen_m[sim_material_find("rubber")]);
    scn_free(s);
}

/* derived constants are computed, not drawn: adding them leaves every parameter's value alone */
static void test_let(void) {
    Scenario* a = parse_ok("param x uniform 0 1\nparam y uniform 0 1\n" BODY);
    Scenario* b = parse_ok("param x uniform 0 1\nlet top = $x + 0.0005\nlet twice = 2 * $top\n"
                           "param y uniform 0 1\n" BODY);
    if (!a || !b) return;
    char err[256];
    for (uint64_t seed = 0; seed < 20; seed++) {
        ScnInstance ia, ib;
        CHECK(scn_instantiate(a, seed, &ia, err, sizeof err) && scn_instantiate(b, seed, &ib, err, sizeof err));
        CHECK(ib.nparams == 4 && ia.params[0] == ib.params[0] && ia.params[1] == ib.params[3]);
        CHECK(ib.params[1] == ib.params[0] + 0.0005 && ib.params[2] == 2 * ib.params[1]);
        scn_instance_free(&ia);
        scn_instance_free(&ib);
    }
    scn_free(a);
    scn_free(b);
}

/* does any pair of the instance's bodies overlap (by their bounding boxes, for the test)? */
static bool boxes_apart(const SimBodyDef* a, const SimBodyDef* b, double gap) {
    return a->x + a->w / 2 + gap <= b->x - b->w / 2 + 1e-12 || b->x + b->w / 2 + gap <= a->x - a->w / 2 + 1e-12 ||
           a->y + a->h / 2 <= b->y - b->h / 2 + 1e-12 || b->y + b->h / 2 <= a->y - a->h / 2 + 1e-12;
}

/* bodies 'on' a support: level on its top, inside its span (or from..to), 1 cm apart and clear of
 * what stands there already, spread over the free room, the same for the same seed; a group added
 * below moves nobody above it; whatever fits is placed (packing never jams); the built world
 * starts at rest */
static void test_placement(void) {
    const char* base = "param n int 1 6\n"
                       "param w uniform 0.04 0.12\n"
                       "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                       "body table box wood static pos 0 0.4 size 1.2 0.8\n"
                       "body block box stone static pos 0.2 0.85 size 0.1 0.1\n"
                       "body b1 box wood on table size $w $w\n"
                       "body b2 ball rubber on table size 0.08 0.08 if $n >= 2\n"
                       "body b3 cup glass on table size 0.07 0.12 if $n >= 3\n"
                       "body b4 box steel on table from -0.6 to 0 size 0.05 0.05 if $n >= 4\n"
                       "body b5 plank wood on floor from -3 to -0.7 size 0.4 0.03 if $n >= 5\n"
                       "body b6 box wood on b1 size 0.03 0.03 if $n >= 6\n";
    char text[2048];
    snprintf(text, sizeof text, "%sbody extra box felt on floor from 1 to 3 size 0.05 0.05\n", base);
    Scenario* s = parse_ok(base);
    Scenario* more = parse_ok(text);
    if (!s || !more) return;
    char err[256];
    double sum_x = 0;
    int count_x = 0;
    for (uint64_t seed = 0; seed < 300; seed++) {
        ScnInstance in, again, in2;
        if (!scn_instantiate(s, seed, &in, err, sizeof err)) {
            fprintf(stderr, "seed %llu: %s\n", (unsigned long long)seed, err);
            ensure_failures++;
            break;
        }
        CHECK(scn_instantiate(s, seed, &again, err, sizeof err));
        CHECK(in.nbodies == again.nbodies && memcmp(in.bodies, again.bodies, sizeof(SimBodyDef) * in.nbodies) == 0);
        int n = (int)in.params[0];
        CHECK(in.nbodies == 3 + n);
        const SimBodyDef* table = &in.bodies[1];
        for (int i = 3; i < in.nbodies; i++) {
            const SimBodyDef* b = &in.bodies[i];
            const SimBodyDef* sup = i == 7 ? &in.bodies[0] : i == 8 ? &in.bodies[3] : table;
            /* level, 0.5 mm above its support's top, within its span */
            CHECK(b->angle == 0 && fabs(b->y - b->h / 2 - (sup->y + sup->h / 2) - 0.0005) < 1e-12);
            CHECK(b->x - b->w / 2 >= sup->x - sup->w / 2 - 1e-12 && b->x + b->w / 2 <= sup->x + sup->w / 2 + 1e-12);
            if (i == 6) CHECK(b->x + b->w / 2 <= 1e-12);
            if (i == 7) CHECK(b->x + b->w / 2 <= -0.7 + 1e-12);
            /* 1 cm from every other body on the same level (the block included), touching none */
            for (int j = 2; j < in.nbodies; j++)
                if (j != i && i != 8 && j != 8) CHECK(boxes_apart(b, &in.bodies[j], j == 7 || i == 7 ? 0 : 0.01 - 1e-9));
        }
        sum_x += in.bodies[3].x;
        count_x++;
        /* one more body at the end, on a stretch of its own, moves nobody above it */
        CHECK(scn_instantiate(more, seed, &in2, err, sizeof err));
        CHECK(in2.nbodies == in.nbodies + 1 && memcmp(in.bodies, in2.bodies, sizeof(SimBodyDef) * in.nbodies) == 0);
        /* the world starts without overlaps: nothing is pushed apart in the first tick */
        if (seed < 20) {
            SimWorld* w = scn_instance_build(&in, seed, err, sizeof err);
            CHECK(w);
            for (int t = 0; w && t < 2; t++) sim_world_tick(w, NULL);
            for (int i = 3; w && i < in.nbodies; i++) {
                SimBodyState st;
                CHECK(sim_world_body(w, i, &st) && fabs(st.vx) < 0.05 && fabs(st.omega) < 0.5);
            }
            sim_world_destroy(w);
        }
        scn_instance_free(&in);
        scn_instance_free(&again);
        scn_instance_free(&in2);
    }
    /* b1 is spread over the table's top, not stuck at one end */
    CHECK(fabs(sum_x / count_x) < 0.15);
    scn_free(s);
    scn_free(more);
    /* the placement stream is its own: the parameters are those of the same file with 'pos' */
    Scenario* p1 = parse_ok("param a uniform 0 1\nbody t box wood static pos 0 0 size 1 0.1\n"
                            "body b box wood on t size 0.1 0.1\nparam c uniform 0 1\n");
    Scenario* p2 = parse_ok("param a uniform 0 1\nbody t box wood static pos 0 0 size 1 0.1\n"
                            "body b box wood pos 0 1 size 0.1 0.1\nparam c uniform 0 1\n");
    ScnInstance i1, i2;
    if (p1 && p2 && scn_instantiate(p1, 5, &i1, err, sizeof err) && scn_instantiate(p2, 5, &i2, err, sizeof err)) {
        CHECK(i1.params[0] == i2.params[0] && i1.params[1] == i2.params[1] && i1.bodies[1].x != 0);
        scn_instance_free(&i1);
        scn_instance_free(&i2);
    }
    scn_free(p1);
    scn_free(p2);
    /* five 18 cm boxes fill a 95 cm top to 99% with their gaps: placed for every seed, in any order;
       a sixth does not fit */
    const char* tight = "body t box wood static pos 0 0 size 0.95 0.1\n"
                        "body a box wood on t size 0.18 0.1\nbody b box wood on t size 0.18 0.1\n"
                        "body c box wood on t size 0.18 0.1\nbody d box wood on t size 0.18 0.1\n"
                        "body e box wood on t size 0.18 0.1\n";
    Scenario* st = parse_ok(tight);
    int first_a = 0, last_a = 0;
    for (uint64_t seed = 0; st && seed < 200; seed++) {
        ScnInstance in;
        if (!scn_instantiate(st, seed, &in, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            ensure_failures++;
            break;
        }
        for (int i = 1; i < 6; i++)
            for (int j = 1; j < 6; j++)
                if (i != j) CHECK(fabs(in.bodies[i].x - in.bodies[j].x) >= 0.19 - 1e-9);
        double lo = 1, hi = -1;
        for (int i = 1; i < 6; i++) lo = fmin(lo, in.bodies[i].x), hi = fmax(hi, in.bodies[i].x);
        first_a += in.bodies[1].x == lo;
        last_a += in.bodies[1].x == hi;
        CHECK(lo - 0.09 >= -0.475 - 1e-9 && hi + 0.09 <= 0.475 + 1e-9);
        scn_instance_free(&in);
    }
    CHECK(first_a > 20 && last_a > 20);   /* the order is shuffled */
    scn_free(st);
    char six[1024];
    snprintf(six, sizeof six, "%sbody f box wood on t size 0.18 0.1\n", tight);
    CHECK(!scn_parse(six, strlen(six), "six.scn", err, sizeof err) && strstr(err, "six.scn:7:17: expected room for") &&
          strstr(err, "its group needs 1.130 m"));
}

/* the index of a parameter (or let) by name, -1 if none */
static int param_index(const Scenario* s, const char* name) {
    for (int i = 0; i < scn_param_count(s); i++)
        if (!strcmp(scn_param_name(s, i), name)) return i;
    return -1;
}

/* every template of the training family instantiates for every seed (placement always finds room,
 * nothing starts overlapping), and its factors say what the instance holds: n_bodies dynamic
 * bodies, n_steel bodies of steel (static ones too), n_ramps ramps, and surface_h lies between the
 * floor and the highest shelf */
static void test_family_templates(void) {
    char dir[600], err[512];
    snprintf(dir, sizeof dir, "%s/scenarios/templates/family", NUDGE_SOURCE_DIR);
    char** files = NULL;
    int nf = scn_list_files(dir, false, &files);
    CHECK(nf >= 6);
    int steel = sim_material_find("steel");
    const char* env = getenv("NUDGE_FAMILY_SEEDS");
    int seeds = env ? atoi(env) : 300;
    for (int f = 0; f < nf; f++) {
        Scenario* s = scn_load(files[f], err, sizeof err);
        if (!s) {
            fprintf(stderr, "%s\n", err);
            ensure_failures++;
            continue;
        }
        int ib = param_index(s, "n_bodies"), is = param_index(s, "n_steel"), ir = param_index(s, "n_ramps"),
            ih = param_index(s, "surface_h");
        CHECK(ib >= 0 && is >= 0 && ir >= 0 && ih >= 0);
        int max_bodies = 0, min_bodies = 99, with_steel = 0;
        for (int seed = 0; seed < seeds && ib >= 0 && is >= 0 && ir >= 0 && ih >= 0; seed++) {
            ScnInstance in;
            if (!scn_instantiate(s, (uint64_t)seed, &in, err, sizeof err)) {
                fprintf(stderr, "seed %d: %s\n", seed, err);
                ensure_failures++;
                break;
            }
            int dyn = 0, st = 0, ramps = 0;
            for (int i = 0; i < in.nbodies; i++) {
                const SimBodyDef* b = &in.bodies[i];
                dyn += !b->is_static;
                st += b->material == steel;
                ramps += b->kind == SIM_KIND_RAMP;
            }
            bool ok = in.params[ib] == dyn && in.params[is] == st && in.params[ir] == ramps && in.params[ih] >= 0 &&
                      in.params[ih] < 2.5;
            if (!ok) {
                fprintf(stderr, "%s seed %d: factors n_bodies %g n_steel %g n_ramps %g, the instance %d %d %d\n",
                        files[f], seed, in.params[ib], in.params[is], in.params[ir], dyn, st, ramps);
                ensure_failures++;
            }
            max_bodies = dyn > max_bodies ? dyn : max_bodies;
            min_bodies = dyn < min_bodies ? dyn : min_bodies;
            with_steel += st > 0;
            scn_instance_free(&in);
        }
        /* every template reaches the count split's ends and has steel now and then */
        if (seeds >= 300) {
            CHECK(min_bodies <= 4 && max_bodies == 8 && with_steel > 0);
            if (!(min_bodies <= 4 && max_bodies == 8 && with_steel > 0))
                fprintf(stderr, "%s: bodies %d..%d, steel in %d\n", files[f], min_bodies, max_bodies, with_steel);
        }
        scn_free(s);
    }
    scn_free_list(files, nf);
}

/* goals: parsed into the instance for planners, judged as expectations (with the goal flag) */
static void test_goals(void) {
    const char* text = "world seconds 3\n"
                       "param gx uniform 0.45 0.5\n"
                       "body floor box  stone static pos 0 -0.05 size 6 0.1\n"
                       "body table box  wood  static pos 0 0.375 size 1.2 0.75\n"
                       "body glass cup  glass pos $gx 0.811 size 0.08 0.12\n"
                       "body box   box  wood  pos -0.3 0.8005 size 0.1 0.1\n"
                       "at 0.5 push glass 0.6 0\n"
                       "goal glass broken by 2.5\n"                           /* 0 pass */
                       "goal glass fell by 2\n"                               /* 1 pass */
                       "goal not box broken\n"                                /* 2 pass */
                       "goal box in -0.4 0.75 -0.2 0.9 by 2\n"                /* 3 pass */
                       "goal box.x near -0.3 1% at 2.5\n"                     /* 4 pass */
                       "goal not glass fell\n"                                /* 5 fail */
                       "goal box in 0.2 0.75 0.4 0.9 by 2\n"                  /* 6 fail */
                       "goal box fell by 2.5\n"                               /* 7 fail */
                       "expect at 2 box in -0.4 0.75 -0.2 0.9\n";             /* 8 pass, not a goal */
    Scenario* s = parse_ok(text);
    if (!s) return;
    char err[256];
    ScnInstance inst;
    CHECK(scn_instantiate(s, 3, &inst, err, sizeof err));
    CHECK(inst.ngoals == 8);
    if (inst.ngoals == 8) {
        const ScnGoal* g = inst.goals;
        CHECK(g[0].kind == SCN_GOAL_BROKEN && !g[0].negate && g[0].body == 2 && g[0].t == 2.5 && g[0].line == 8);
        CHECK(g[1].kind == SCN_GOAL_FELL && g[1].t == 2);
        CHECK(g[2].kind == SCN_GOAL_BROKEN && g[2].negate && g[2].body == 3 && isinf(g[2].t));
        CHECK(g[3].kind == SCN_GOAL_IN && g[3].region[0] == -0.4 && g[3].region[1] == 0.75 &&
              g[3].region[2] == -0.2 && g[3].region[3] == 0.9 && g[3].t == 2);
        CHECK(g[4].kind == SCN_GOAL_FIELD && g[4].field == SCN_FIELD_X && g[4].op == SCN_TEST_NEAR &&
              g[4].v == -0.3 && fabs(g[4].tol - 0.003) < 1e-12 && g[4].t == 2.5);
        CHECK(!strcmp(g[5].text, "goal not glass fell"));
    }
    /* the status a planner and the view read, as the world moves */
    SimWorld* w = scn_instance_build(&inst, 3, err, sizeof err);
    CHECK(w != NULL);
    if (w && inst.ngoals == 8) {
        bool now;
        CHECK(scn_goal_status(&inst.goals[0], w, &now) == SCN_GOAL_PENDING && !now);
        CHECK(scn_goal_status(&inst.goals[3], w, &now) == SCN_GOAL_PENDING && now);  /* inside, before T */
        CHECK(scn_goal_status(&inst.goals[2], w, &now) == SCN_GOAL_PENDING && now);  /* safe so far */
        SimPush push = {2, 0, 0.6, 0, 0, 0};
        for (int t = 0; t < 150; t++) sim_world_tick(w, t == 30 ? &push : NULL);   /* to 2.5 s */
        CHECK(scn_goal_status(&inst.goals[0], w, &now) == SCN_GOAL_MET && now);
        CHECK(scn_goal_status(&inst.goals[1], w, NULL) == SCN_GOAL_MET);
        CHECK(scn_goal_status(&inst.goals[5], w, &now) == SCN_GOAL_FAILED && !now);
        CHECK(scn_goal_status(&inst.goals[3], w, NULL) == SCN_GOAL_MET);            /* past T, inside */
        CHECK(scn_goal_status(&inst.goals[6], w, NULL) == SCN_GOAL_FAILED);
        CHECK(scn_goal_status(&inst.goals[7], w, NULL) == SCN_GOAL_PENDING);         /* T not passed */
        sim_world_tick(w, NULL);
        CHECK(scn_goal_status(&inst.goals[7], w, NULL) == SCN_GOAL_FAILED);
    }
    sim_world_destroy(w);
    scn_instance_free(&inst);
    scn_free(s);
    Judged j;
    if (!run_checked(text, 180, &j)) return;
    CHECK(j.n == 9);
    CHECK(verdict_is(&j, 0, true, "glass broken at"));
    CHECK(verdict_is(&j, 1, true, "glass fell at"));
    CHECK(verdict_is(&j, 2, true, "never held"));
    CHECK(verdict_is(&j, 3, true, "box at (-0.3"));
    CHECK(verdict_is(&j, 4, true, "box.x = -0.3"));
    CHECK(verdict_is(&j, 5, false, "glass fell at"));
    CHECK(verdict_is(&j, 6, false, "wanted in [0.2000, 0.4000] x [0.7500, 0.9000]"));
    CHECK(verdict_is(&j, 7, false, "box fell never held by 2.500 s"));
    CHECK(verdict_is(&j, 8, true, "box at"));
    for (int i = 0; i < 9; i++) CHECK(j.v[i].goal == (i < 8));
    CHECK(!strcmp(j.v[6].text, "goal box in 0.2 0.75 0.4 0.9 by 2"));
}

static void test_planner_agent_line(void) {
    Scenario* s = parse_ok(BODY "agent planner samples 64 iters 3 horizon 20 every 4 elites 8 pushes 2 impulse 0.8 cost 0.05\n"
                                "goal b fell by 1\n");
    char err[256];
    ScnInstance inst;
    if (s && scn_instantiate(s, 1, &inst, err, sizeof err)) {
        const ScnAgentDef* a = &inst.agent;
        CHECK(a->kind == SCN_AGENT_PLANNER && a->samples == 64 && a->iters == 3 && a->horizon == 20);
        CHECK(a->replan == 4 && a->elites == 8 && a->pushes == 2 && a->impulse == 0.8 && a->push_cost == 0.05);
        scn_instance_free(&inst);
    }
    scn_free(s);
    /* defaults, the oracle, and the random agent's budget */
    s = parse_ok(BODY "agent oracle\n");
    if (s && scn_instantiate(s, 1, &inst, err, sizeof err)) {
        ScnAgentDef d = scn_agent_def_default();
        CHECK(inst.agent.kind == SCN_AGENT_ORACLE && inst.agent.samples == d.samples && d.samples == 256);
        CHECK(d.iters == 5 && d.horizon == 30 && d.replan == 6 && inst.agent.impulse == 0 && inst.agent.pushes == 0);
        scn_instance_free(&inst);
    }
    scn_free(s);
    s = parse_ok(BODY "agent random pushes 3 impulse 0.5\n");
    if (s && scn_instantiate(s, 1, &inst, err, sizeof err)) {
        CHECK(inst.agent.kind == SCN_AGENT_RANDOM && inst.agent.pushes == 3 && inst.agent.impulse == 0.5);
        scn_instance_free(&inst);
    }
    scn_free(s);
}

/* scenarios that would bury the world: too many bodies, bodies piled into each other (the world's
   own contact budget: tests/test_sim.c) */
static void test_limits(void) {
    char err[512];
    size_t cap = 64 * (SCN_MAX_BODIES + 2);
    char* text = malloc(cap);
    /* one body too many: refused at that body's line */
    size_t n = 0;
    for (int i = 0; i <= SCN_MAX_BODIES; i++)
        n += (size_t)snprintf(text + n, cap - n, "body b%d box wood pos %d %d size 0.1 0.1\n", i, i % 10 - 5, i / 10);
    Scenario* s = scn_parse(text, n, "many.scn", err, sizeof err);
    char want[128];
    snprintf(want, sizeof want, "many.scn:%d:1: expected at most %d bodies", SCN_MAX_BODIES + 1, SCN_MAX_BODIES);
    CHECK(!s && strstr(err, want));
    scn_free(s);
    /* 1000 boxes in one place: refused at once (the start's bodies must be apart) */
    n = (size_t)snprintf(text, cap, "body floor box stone static pos 0 -0.05 size 6 0.1\n");
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(text + n, cap - n, "body b%d box wood pos %g 0.5 size 0.1 0.1\n", i, 0.001 * (i % 10));
    s = scn_parse(text, n, "pile.scn", err, sizeof err);
    CHECK(!s && strstr(err, "pile.scn:3:6: expected bodies apart at the start"));
    scn_free(s);
    free(text);
}

int main(void) {
    sim_quiet_chipmunk();
    test_limits();
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) check_bad(&bad_cases[i]);
    test_expressions();
    test_full_parse();
    test_actions_parse();
    test_defaults();
    test_params_deterministic();
    test_kind_material_params();
    test_let();
    test_placement();
    test_family_templates();
    test_instantiate_errors();
    test_text_forms();
    test_load();
    test_mangled();
    test_checker_fall();
    test_checker_floor();
    test_goals();
    test_planner_agent_line();
    fprintf(stderr, "test_scenario: %zu error cases\n", sizeof bad_cases / sizeof bad_cases[0]);
    return ensure_finish("test_scenario");
}
