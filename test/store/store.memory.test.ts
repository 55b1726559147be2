import { defineStoreSuite } from './store-suite';

defineStoreSuite('memory-native');
