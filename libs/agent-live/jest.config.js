module.exports = { displayName: 'agent-live', preset: '../../jest.preset.js' };
