// trading-signals (an independent reference in the tests) ships only ES modules; let SWC compile it.
module.exports = {
  displayName: 'scanner',
  preset: '../../jest.preset.js',
  transformIgnorePatterns: ['^(?!.*/node_modules/(cookie|trading-signals)/).*/node_modules/'],
};
