module.exports = { displayName: 'bias-checks', preset: '../../jest.preset.js' };
