#include "sim/materials.h"

#include <string.h>

static const SimMaterial materials[] = {
#define MATERIAL(n, dens, fric, elas, brk, r, g, b) {#n, dens, fric, elas, brk, {r, g, b}},
#include "assets/materials.h"
#undef MATERIAL
};

int sim_material_count(void) { return (int)(sizeof materials / sizeof materials[0]); }

const SimMaterial* sim_material_get(int index) {
    if (index < 0 || index >= sim_material_count()) return NULL;
    return &materials[index];
}

int sim_material_find(const char* name) {
    for (int i = 0; i < sim_material_count(); i++)
        if (strcmp(materials[i].name, name) == 0) return i;
    return -1;
}
