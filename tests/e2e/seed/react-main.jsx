// Mounts the seed's React App as the seed wrote it (seed-react.jsx).
import { createRoot } from 'react-dom/client';
import { App } from 'seed-react';

createRoot(document.getElementById('root')).render(<App />);
