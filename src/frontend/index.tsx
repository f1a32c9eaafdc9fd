/**
 * The admin page's entry (manifest.yml resource `admin-page`): renders the UI Kit app. The page
 * itself is ./app.tsx, one module per section under ./sections.
 */
import React from 'react';
import ForgeReconciler from '@forge/react';
import { App } from './app';

ForgeReconciler.render(
  <React.StrictMode>
    <App />
  </React.StrictMode>,
);
