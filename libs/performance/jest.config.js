module.exports = { displayName: 'performance', preset: '../../jest.preset.js' };
