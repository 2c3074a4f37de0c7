module.exports = { displayName: 'agent-live-integration', preset: '../../jest.preset.js' };
