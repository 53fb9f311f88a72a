/* The materials table: the one place materials are defined (compiled into sim/materials.c).
 *
 * MATERIAL(name, density, friction, elasticity, break_impulse, r, g, b)
 *   density        areal density, kg/m^2 (2D: mass = area * density)
 *   friction       Coulomb coefficient; Chipmunk multiplies the two bodies' values (mu = mu_a * mu_b)
 *   elasticity     restitution; Chipmunk multiplies the two bodies' values too (e = e_a * e_b)
 *   break_impulse  N*s: a contact impulse above this in one physics step shatters the body;
 *                  0 = unbreakable
 *   r, g, b        fill colour in the view and in rendered dataset frames
 */
MATERIAL(wood,   60.0,  0.60, 0.30, 0.00, 181, 134,  84)
MATERIAL(glass,  250.0, 0.40, 0.40, 1.00,  70, 150, 210)
MATERIAL(rubber, 110.0, 0.90, 0.80, 0.00, 200,  70,  70)
MATERIAL(steel,  780.0, 0.40, 0.50, 0.00, 150, 155, 165)
MATERIAL(stone,  250.0, 0.80, 0.20, 0.00, 110, 110, 105)
MATERIAL(felt,   30.0,  1.00, 0.05, 0.00,  60, 120,  80)
MATERIAL(ice,    90.0,  0.00, 0.10, 0.00, 210, 235, 245)
