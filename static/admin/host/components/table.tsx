/**
 * DynamicTable: @forge/react sends the head and rows as ContentWrapper("head") of Cells and
 * ContentWrapper("rows") of Rows of Cells; they become ADS dynamic-table's `head` and `rows`
 * again, so pagination, sorting and the empty view are ADS's own.
 */
import DynamicTable from '@atlaskit/dynamic-table';
import type { ComponentProps } from 'react';
import { callback, pick } from '../events';
import type { ForgeDoc } from '../forge-doc';
import { renderProp } from '../render';
import type { HostComponent, HostProps } from '../types';

type TableProps = ComponentProps<typeof DynamicTable>;

function wrapper(doc: ForgeDoc, name: string): ForgeDoc[] {
  return (
    doc.children.find((child) => child.type === 'ContentWrapper' && child.props.name === name)?.children ?? []
  );
}

function cell(cellDoc: ForgeDoc, index: number, render: HostProps['render']) {
  const { cellKey, ...rest } = cellDoc.props;
  return {
    ...pick(rest, ['isSortable', 'width', 'shouldTruncate', 'colSpan']),
    key: (cellKey as string | number | undefined) ?? index,
    content: <>{cellDoc.children.map((child, i) => render(child, child.key ?? i))}</>,
  };
}

export const table: Record<string, HostComponent> = {
  DynamicTable: ({ doc, props, render }) => {
    const head = wrapper(doc, 'head');
    const rows = wrapper(doc, 'rows');
    const onSetPage = callback(props.onSetPage);
    return (
      <DynamicTable
        {...(pick(props, [
          'caption',
          'label',
          'rowsPerPage',
          'page',
          'defaultPage',
          'isLoading',
          'isFixedSize',
          'sortKey',
          'sortOrder',
          'defaultSortKey',
          'defaultSortOrder',
          'highlightedRowIndex',
          'loadingSpinnerSize',
          'testId',
        ]) as TableProps)}
        head={head.length ? { cells: head.map((c, i) => cell(c, i, render)) } : undefined}
        rows={rows.map((row, r) => ({
          key: String(row.props.rowKey ?? r),
          isHighlighted: Boolean(row.props.isHighlighted),
          cells: row.children.map((c, i) => cell(c, i, render)),
        }))}
        emptyView={props.emptyView ? <>{renderProp(props.emptyView)}</> : undefined}
        onSetPage={onSetPage ? (page: number) => void onSetPage(page) : undefined}
      />
    );
  },
};
