module.exports = { displayName: 'scan-rules', preset: '../../jest.preset.js' };
