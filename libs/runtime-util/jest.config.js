module.exports = { displayName: 'runtime-util', preset: '../../jest.preset.js' };
