// project.json runs these tests with NODE_OPTIONS=--experimental-vm-modules: PGlite loads part of
// itself with a dynamic import(), which Jest's module sandbox only allows with that flag.
module.exports = { displayName: 'jobs', preset: '../../jest.preset.js' };
