module.exports = { displayName: 'strategy-sdk', preset: '../../jest.preset.js' };
