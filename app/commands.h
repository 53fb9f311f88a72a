/* commands: one function per subcommand, each in app/cmd_NAME.c.
 * argv[0] is the subcommand's name; the return value is the exit status
 * (0 ok, 1 failed expectations or tests, 2 bad input). */
#ifndef NUDGE_APP_COMMANDS_H
#define NUDGE_APP_COMMANDS_H

int cmd_run(int argc, char** argv);
int cmd_check(int argc, char** argv);
int cmd_gen(int argc, char** argv);
int cmd_view(int argc, char** argv);
int cmd_train(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_replay(int argc, char** argv);
int cmd_plan(int argc, char** argv);
int cmd_voe(int argc, char** argv);
/// nudge fate: the pixel model's fate probe (app/cmd_fate.c, model/jepa_fate.h)
int cmd_fate(int argc, char** argv);
/// nudge scale: the pixel model's expected error (app/cmd_scale.c, model/jepa_scale.h)
int cmd_scale(int argc, char** argv);
/// nudge energy: the pixel model's expected change (app/cmd_energy.c, model/jepa_energy.h)
int cmd_energy(int argc, char** argv);
/// nudge train --kind jepa (app/train_jepa.c) and nudge eval of a pixel model (app/eval_jepa.c)
int cmd_train_jepa(int argc, char** argv);
int cmd_eval_jepa(int argc, char** argv);

#endif
