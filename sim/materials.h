/* materials: the compiled-in table of assets/materials.h */
#ifndef NUDGE_SIM_MATERIALS_H
#define NUDGE_SIM_MATERIALS_H

typedef struct SimMaterial {
    const char*   name;
    double        density;        /* kg/m^2 */
    double        friction;       /* combined by product */
    double        elasticity;     /* combined by product */
    double        break_impulse;  /* N*s; 0 = unbreakable */
    unsigned char rgb[3];
} SimMaterial;

int                sim_material_count(void);
/// NULL when out of range
const SimMaterial* sim_material_get(int index);
/// index of the material called name, -1 if there is none
int                sim_material_find(const char* name);

#endif
