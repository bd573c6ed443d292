/** Spherical geometry: icosahedral meshes, multimesh, lat-lon grids, grid↔mesh connectivity, local frames. */
export * from './icosahedral_mesh.js';
export * from './latlon_grid.js';
export * from './spatial_index.js';
export * from './grid_mesh_connectivity.js';
export * from './local_frame.js';
export * from './centroidal.js';
