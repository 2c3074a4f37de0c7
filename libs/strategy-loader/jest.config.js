module.exports = { displayName: 'strategy-loader', preset: '../../jest.preset.js' };
