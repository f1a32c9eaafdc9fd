/** Tabs, TabList, Tab, TabPanel: ADS tabs (matched by position, as in ADS). */
import Tabs, { Tab, TabList, TabPanel } from '@atlaskit/tabs';
import { callback } from '../events';
import type { HostComponent } from '../types';

export const tabs: Record<string, HostComponent> = {
  Tabs: ({ props, children }) => {
    const onChange = callback(props.onChange);
    return (
      <Tabs
        id={String(props.id ?? 'forge-tabs')}
        {...(typeof props.selected === 'number' ? { selected: props.selected } : {})}
        {...(typeof props.defaultSelected === 'number' ? { defaultSelected: props.defaultSelected } : {})}
        shouldUnmountTabPanelOnChange={props.shouldUnmountTabPanelOnChange !== false}
        onChange={(index) => void onChange?.(index)}
      >
        {children}
      </Tabs>
    );
  },
  TabList: ({ children }) => <TabList>{children}</TabList>,
  Tab: ({ children }) => <Tab>{children}</Tab>,
  TabPanel: ({ children }) => (
    <TabPanel>
      <div className="fh-tab-panel">{children}</div>
    </TabPanel>
  ),
};
