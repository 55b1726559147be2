import { defineStoreSuite } from './store-suite';

// The in-memory cache through cache-manager, as with storage: 'generic'.
defineStoreSuite('memory-generic');
